package protocol

import (
	"encoding/base64"
	"io"
	"strconv"
)

// Append appends the wire form of m to dst, without the line end, exactly
// as the peer writes it: Jackson's compact form with "action" first, the
// other fields in the daemon's declaration order, nulls written as null,
// and data as padded standard base64 (docs/protocol.md §2.2, §2.3).
//
// A Checkpoint (the child's request) has no "error" field; a
// CheckpointReply (the daemon's answer) always has one.
func Append(dst []byte, m Message) []byte {
	dst = append(dst, `{"action":`...)
	dst = appendString(dst, m.Action())
	switch m := m.(type) {
	case Initialize:
		dst = append(dst, `,"shardId":`...)
		dst = appendString(dst, m.ShardID)
		dst = append(dst, `,"sequenceNumber":`...)
		dst = appendNullString(dst, m.SequenceNumber)
		dst = append(dst, `,"subSequenceNumber":`...)
		dst = appendNullInt(dst, m.SubSequenceNumber)
	case ProcessRecords:
		dst = append(dst, `,"records":[`...)
		for i := range m.Records {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendRecord(dst, &m.Records[i])
		}
		dst = append(dst, `],"millisBehindLatest":`...)
		dst = appendNullInt(dst, m.MillisBehindLatest)
	case Shutdown:
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, m.Reason)
	case Status:
		dst = append(dst, `,"responseFor":`...)
		dst = appendString(dst, m.ResponseFor)
	case Checkpoint:
		dst = append(dst, `,"sequenceNumber":`...)
		dst = appendNullString(dst, m.SequenceNumber)
		dst = append(dst, `,"subSequenceNumber":`...)
		dst = appendNullInt(dst, m.SubSequenceNumber)
	case CheckpointReply:
		dst = append(dst, `,"sequenceNumber":`...)
		dst = appendNullString(dst, m.SequenceNumber)
		dst = append(dst, `,"subSequenceNumber":`...)
		dst = appendNullInt(dst, m.SubSequenceNumber)
		dst = append(dst, `,"error":`...)
		dst = appendNullString(dst, m.Error)
	case LeaseLost, ShardEnded, ShutdownRequested:
		// No fields besides the action.
	}
	return append(dst, '}')
}

func appendRecord(dst []byte, r *Record) []byte {
	dst = append(dst, `{"data":`...)
	if r.Data == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, r.Data)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"partitionKey":`...)
	dst = appendString(dst, r.PartitionKey)
	dst = append(dst, `,"sequenceNumber":`...)
	dst = appendString(dst, r.SequenceNumber)
	dst = append(dst, `,"approximateArrivalTimestamp":`...)
	dst = appendNullInt(dst, r.ApproximateArrivalTimestamp)
	dst = append(dst, `,"subSequenceNumber":`...)
	dst = appendNullInt(dst, r.SubSequenceNumber)
	return append(dst, `,"action":"record"}`...)
}

func appendNullString(dst []byte, s Nullable[string]) []byte {
	if !s.Valid {
		return append(dst, "null"...)
	}
	return appendString(dst, s.V)
}

func appendNullInt(dst []byte, n Nullable[int64]) []byte {
	if !n.Valid {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, n.V, 10)
}

const hexDigits = "0123456789ABCDEF"

// appendString writes s as a JSON string the way Jackson does: only '"',
// '\\' and control characters are escaped; everything else, '/', non-ASCII
// and U+2028 included, is written raw.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Writer writes messages, one complete line per Write call on the
// underlying writer, so nothing is left buffered between messages.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, 256)}
}

// Write writes m followed by "\n" in a single call to the underlying writer.
func (w *Writer) Write(m Message) error {
	w.buf = append(Append(w.buf[:0], m), '\n')
	_, err := w.w.Write(w.buf)
	if cap(w.buf) > 64<<10 {
		w.buf = nil // do not pin a large daemon-side batch between writes
	}
	return err
}
