// Package kinesisfake is an in-memory Amazon Kinesis Data Streams endpoint
// for tests: an httptest server speaking the JSON protocol (awsJson1_1) of
// the operations kcl local and kcl put use, ListShards, GetShardIterator,
// GetRecords and PutRecords, so that tests run the real AWS SDK client
// against it. Streams, resharding and failures are set up through Go
// methods rather than API calls.
//
// It keeps records for ever, has no throughput limits of its own and
// checks requests only as far as its callers need; kinesalite (package
// internal/stream/kinesalite) is the fuller emulator, used by the end-to-end
// tests.
package kinesisfake

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Record is a record as stored by the fake.
type Record struct {
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	Arrival        time.Time
}

type shard struct {
	id, parent, adjacent string
	start, end           *big.Int // hash key range, inclusive
	closed               bool
	records              []Record
}

type stream struct {
	shards []*shard
}

// Server is a fake Kinesis endpoint. Its methods are safe for concurrent
// use.
type Server struct {
	// URL is the endpoint, for kinesisEndpoint or the SDK's BaseEndpoint.
	URL string

	srv *httptest.Server

	mu       sync.Mutex
	streams  map[string]*stream
	seq      int64
	pageSize int
	failOps  map[string][]string // operation -> error types of the next calls
	failPuts []string            // error codes of the next PutRecords entries
	calls    map[string]int
}

// New starts a fake endpoint on the loopback interface. Close stops it.
func New() *Server {
	s := &Server{streams: map[string]*stream{}, failOps: map[string][]string{}, calls: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

var maxHashKey = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// CreateStream creates an active stream with n shards that split the hash
// key space evenly, as Kinesis does.
func (s *Server) CreateStream(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &stream{}
	width := new(big.Int).Div(new(big.Int).Add(maxHashKey, big.NewInt(1)), big.NewInt(int64(n)))
	for i := range n {
		start := new(big.Int).Mul(width, big.NewInt(int64(i)))
		end := new(big.Int).Sub(new(big.Int).Add(start, width), big.NewInt(1))
		if i == n-1 {
			end = new(big.Int).Set(maxHashKey)
		}
		st.shards = append(st.shards, &shard{id: shardName(i), start: start, end: end})
	}
	s.streams[name] = st
}

func shardName(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// SetPageSize makes ListShards return at most n shards per call, with a
// NextToken for the rest, so that callers' pagination is exercised.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// Put appends a record to the shard its partition key hashes to, as
// PutRecords does, and returns that shard and the sequence number.
func (s *Server) Put(streamName, key string, data []byte) (shardID, seq string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[streamName]
	if st == nil {
		panic("fakekinesis: Put to unknown stream " + streamName)
	}
	sh := st.route(key)
	return sh.id, s.appendLocked(sh, key, data)
}

// PutToShard appends a record to the named shard, whatever its key hashes
// to, and returns its sequence number.
func (s *Server) PutToShard(streamName, shardID, key string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.streams[streamName].find(shardID)
	if sh == nil {
		panic("fakekinesis: PutToShard to unknown shard " + shardID)
	}
	return s.appendLocked(sh, key, data)
}

func (s *Server) appendLocked(sh *shard, key string, data []byte) string {
	if sh.closed {
		panic("fakekinesis: put to closed shard " + sh.id)
	}
	s.seq++
	seq := fmt.Sprintf("49590338271490256608559692538361571095921575989136%06d", s.seq)
	sh.records = append(sh.records, Record{SequenceNumber: seq, PartitionKey: key, Data: append([]byte(nil), data...), Arrival: time.Now()})
	return seq
}

// Split closes a shard and creates two open children that divide its hash
// key range, as SplitShard does. It returns the children's ids.
func (s *Server) Split(streamName, shardID string) [2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[streamName]
	parent := st.find(shardID)
	if parent == nil || parent.closed {
		panic("fakekinesis: Split of unknown or closed shard " + shardID)
	}
	parent.closed = true
	mid := new(big.Int).Rsh(new(big.Int).Add(parent.start, parent.end), 1)
	a := &shard{id: shardName(len(st.shards)), parent: parent.id, start: parent.start, end: mid}
	b := &shard{id: shardName(len(st.shards) + 1), parent: parent.id, start: new(big.Int).Add(mid, big.NewInt(1)), end: parent.end}
	st.shards = append(st.shards, a, b)
	return [2]string{a.id, b.id}
}

// Merge closes two adjacent shards and creates one child covering both, as
// MergeShards does. It returns the child's id.
func (s *Server) Merge(streamName, shardID, adjacentID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[streamName]
	a, b := st.find(shardID), st.find(adjacentID)
	if a == nil || b == nil || a.closed || b.closed {
		panic("fakekinesis: Merge of unknown or closed shards")
	}
	a.closed, b.closed = true, true
	start, end := a.start, b.end
	if b.start.Cmp(a.start) < 0 {
		start, end = b.start, a.end
	}
	c := &shard{id: shardName(len(st.shards)), parent: a.id, adjacent: b.id, start: start, end: end}
	st.shards = append(st.shards, c)
	return c.id
}

// CloseShard closes a shard without children, which Kinesis never does
// but makes a shard end in a test without resharding.
func (s *Server) CloseShard(streamName, shardID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams[streamName].find(shardID).closed = true
}

// Records returns a copy of a shard's records.
func (s *Server) Records(streamName, shardID string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.streams[streamName].find(shardID)
	if sh == nil {
		return nil
	}
	return append([]Record(nil), sh.records...)
}

// FailNext makes the next calls of operation (such as "GetRecords") fail,
// one per entry of errorTypes, with that error type (such as
// "ProvisionedThroughputExceededException") and HTTP status 400.
func (s *Server) FailNext(operation string, errorTypes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failOps[operation] = append(s.failOps[operation], errorTypes...)
}

// FailPutEntries makes the next PutRecords entries fail, one per code (such
// as "ProvisionedThroughputExceededException"), counting across calls.
func (s *Server) FailPutEntries(codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failPuts = append(s.failPuts, codes...)
}

// Calls returns how many requests of operation the server received,
// failed ones included.
func (s *Server) Calls(operation string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[operation]
}

func (st *stream) find(id string) *shard {
	if st == nil {
		return nil
	}
	for _, sh := range st.shards {
		if sh.id == id {
			return sh
		}
	}
	return nil
}

// route returns the open shard whose hash key range holds the MD5 of key.
func (st *stream) route(key string) *shard {
	sum := md5.Sum([]byte(key))
	h := new(big.Int).SetBytes(sum[:])
	for _, sh := range st.shards {
		if !sh.closed && sh.start.Cmp(h) <= 0 && h.Cmp(sh.end) <= 0 {
			return sh
		}
	}
	panic("fakekinesis: no open shard for hash key " + h.String())
}

type apiError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "Kinesis_20131202.")
	if !ok {
		writeJSON(w, 400, apiError{"UnknownOperationException", "bad X-Amz-Target " + target})
		return
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, 400, apiError{"SerializationException", err.Error()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	if q := s.failOps[op]; len(q) > 0 {
		s.failOps[op] = q[1:]
		writeJSON(w, 400, apiError{q[0], "injected by fakekinesis"})
		return
	}
	var out any
	var aerr *apiError
	switch op {
	case "ListShards":
		out, aerr = s.listShards(body)
	case "GetShardIterator":
		out, aerr = s.getShardIterator(body)
	case "GetRecords":
		out, aerr = s.getRecords(body)
	case "PutRecords":
		out, aerr = s.putRecords(body)
	default:
		aerr = &apiError{"UnknownOperationException", op + " is not faked"}
	}
	if aerr != nil {
		writeJSON(w, 400, aerr)
		return
	}
	writeJSON(w, 200, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if e, ok := v.(apiError); ok {
		w.Header().Set("X-Amzn-ErrorType", e.Type)
	}
	if e, ok := v.(*apiError); ok {
		w.Header().Set("X-Amzn-ErrorType", e.Type)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func str(body map[string]json.RawMessage, key string) string {
	var v string
	json.Unmarshal(body[key], &v)
	return v
}

func num(body map[string]json.RawMessage, key string) float64 {
	var v float64
	json.Unmarshal(body[key], &v)
	return v
}

func notFound(format string, args ...any) *apiError {
	return &apiError{"ResourceNotFoundException", fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *apiError {
	return &apiError{"InvalidArgumentException", fmt.Sprintf(format, args...)}
}

func (s *Server) listShards(body map[string]json.RawMessage) (any, *apiError) {
	name, token := str(body, "StreamName"), str(body, "NextToken")
	start := 0
	if token != "" {
		if name != "" {
			return nil, invalid("NextToken and StreamName cannot be provided together")
		}
		n, rest, ok := strings.Cut(token, "|")
		i, err := strconv.Atoi(rest)
		if !ok || err != nil {
			return nil, invalid("bad NextToken")
		}
		name, start = n, i
	}
	st := s.streams[name]
	if st == nil {
		return nil, notFound("stream %s not found", name)
	}
	type hashRange struct{ StartingHashKey, EndingHashKey string }
	type seqRange struct {
		StartingSequenceNumber string
		EndingSequenceNumber   string `json:",omitempty"`
	}
	type shardOut struct {
		ShardId               string
		ParentShardId         string `json:",omitempty"`
		AdjacentParentShardId string `json:",omitempty"`
		HashKeyRange          hashRange
		SequenceNumberRange   seqRange
	}
	var out struct {
		Shards    []shardOut
		NextToken string `json:",omitempty"`
	}
	end := len(st.shards)
	if s.pageSize > 0 && start+s.pageSize < end {
		end = start + s.pageSize
		out.NextToken = fmt.Sprintf("%s|%d", name, end)
	}
	for _, sh := range st.shards[start:end] {
		o := shardOut{ShardId: sh.id, ParentShardId: sh.parent, AdjacentParentShardId: sh.adjacent,
			HashKeyRange:        hashRange{sh.start.String(), sh.end.String()},
			SequenceNumberRange: seqRange{StartingSequenceNumber: "49590338271490256608559692538361571095921575989136000000"}}
		if sh.closed {
			o.SequenceNumberRange.EndingSequenceNumber = "49590338271490256608559692538361571095921575989136999999"
		}
		out.Shards = append(out.Shards, o)
	}
	return out, nil
}

// An iterator is "stream|shard|index" in base64: the index of the next
// record to return.
func iterator(stream, shard string, index int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s|%s|%d", stream, shard, index))
}

func (s *Server) getShardIterator(body map[string]json.RawMessage) (any, *apiError) {
	name, id := str(body, "StreamName"), str(body, "ShardId")
	sh := s.streams[name].find(id)
	if sh == nil {
		return nil, notFound("shard %s in stream %s not found", id, name)
	}
	index := 0
	switch typ := str(body, "ShardIteratorType"); typ {
	case "TRIM_HORIZON":
	case "LATEST":
		index = len(sh.records)
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		seq := str(body, "StartingSequenceNumber")
		index = -1
		for i, rec := range sh.records {
			if rec.SequenceNumber == seq {
				index = i
				if typ == "AFTER_SEQUENCE_NUMBER" {
					index++
				}
			}
		}
		if index < 0 {
			return nil, invalid("StartingSequenceNumber %s used in GetShardIterator on shard %s is not in the shard", seq, id)
		}
	case "AT_TIMESTAMP":
		at := time.UnixMilli(int64(num(body, "Timestamp") * 1000))
		index = len(sh.records)
		for i, rec := range sh.records {
			if !rec.Arrival.Before(at) {
				index = i
				break
			}
		}
	default:
		return nil, invalid("bad ShardIteratorType %q", typ)
	}
	return map[string]string{"ShardIterator": iterator(name, id, index)}, nil
}

func (s *Server) getRecords(body map[string]json.RawMessage) (any, *apiError) {
	raw, err := base64.StdEncoding.DecodeString(str(body, "ShardIterator"))
	parts := strings.Split(string(raw), "|")
	if err != nil || len(parts) != 3 {
		return nil, invalid("invalid ShardIterator")
	}
	index, _ := strconv.Atoi(parts[2])
	sh := s.streams[parts[0]].find(parts[1])
	if sh == nil {
		return nil, notFound("shard %s not found", parts[1])
	}
	limit := int(num(body, "Limit"))
	if limit <= 0 {
		limit = 10000
	}
	end := min(index+limit, len(sh.records))
	type recordOut struct {
		SequenceNumber              string
		ApproximateArrivalTimestamp float64
		Data                        []byte
		PartitionKey                string
	}
	var out struct {
		Records            []recordOut
		NextShardIterator  *string `json:",omitempty"`
		MillisBehindLatest int64
	}
	out.Records = []recordOut{}
	for _, rec := range sh.records[index:end] {
		out.Records = append(out.Records, recordOut{rec.SequenceNumber, float64(rec.Arrival.UnixMilli()) / 1000, rec.Data, rec.PartitionKey})
	}
	if end < len(sh.records) {
		out.MillisBehindLatest = time.Since(sh.records[end].Arrival).Milliseconds()
	}
	if !sh.closed || end < len(sh.records) {
		next := iterator(parts[0], parts[1], end)
		out.NextShardIterator = &next
	}
	return out, nil
}

func (s *Server) putRecords(body map[string]json.RawMessage) (any, *apiError) {
	name := str(body, "StreamName")
	st := s.streams[name]
	if st == nil {
		return nil, notFound("stream %s not found", name)
	}
	var in []struct {
		Data         []byte
		PartitionKey string
	}
	json.Unmarshal(body["Records"], &in)
	if len(in) == 0 || len(in) > 500 {
		return nil, &apiError{"ValidationException", fmt.Sprintf("%d records: want 1 to 500", len(in))}
	}
	size := 0
	for _, r := range in {
		size += len(r.Data) + len(r.PartitionKey)
	}
	if size > 5<<20 {
		return nil, invalid("request of %d bytes is over 5 MiB", size)
	}
	type entry struct {
		SequenceNumber string `json:",omitempty"`
		ShardId        string `json:",omitempty"`
		ErrorCode      string `json:",omitempty"`
		ErrorMessage   string `json:",omitempty"`
	}
	var out struct {
		FailedRecordCount int
		Records           []entry
	}
	for _, r := range in {
		if len(s.failPuts) > 0 {
			code := s.failPuts[0]
			s.failPuts = s.failPuts[1:]
			out.FailedRecordCount++
			out.Records = append(out.Records, entry{ErrorCode: code, ErrorMessage: "injected by fakekinesis"})
			continue
		}
		sh := st.route(r.PartitionKey)
		out.Records = append(out.Records, entry{SequenceNumber: s.appendLocked(sh, r.PartitionKey, r.Data), ShardId: sh.id})
	}
	return out, nil
}
