package kclprops

// logicalLine is one entry of a properties file as java.util.Properties'
// LineReader hands it on: continuation lines joined, comments and blank
// lines gone.
type logicalLine struct {
	text     []byte // the backslash-newline of each continuation and the next line's leading whitespace removed
	line     int    // 1-based physical line where the entry starts
	nonASCII bool   // the raw bytes hold a byte >= 0x80 (the daemon reads them as ISO-8859-1)
}

// isSpace is java.util.Properties' whitespace: space, tab and form feed.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// logicalLines splits data the way java.util.Properties.load does before it
// looks at keys and values (its LineReader, mirrored step by step), and
// records the physical line each entry starts on, which
// magiconair/properties does not give:
//   - '\n', '\r' and "\r\n" end a physical line;
//   - leading whitespace (space, tab, form feed) is skipped, and so are blank
//     lines;
//   - a line whose first character is '#' or '!' is a comment, and a comment
//     is never continued, whatever it ends with;
//   - a line ending in an odd number of backslashes continues on the next
//     line: the last backslash and the line end go, and so does the next
//     line's leading whitespace. A '#' there is data, unless nothing came
//     before it. An empty next line ends the entry;
//   - a backslash at the very end of the data is dropped.
func logicalLines(data []byte) []logicalLine {
	var out []logicalLine
	var cur logicalLine
	line := 1
	skipSpace := true          // at the start of a logical line or of a continued line
	appendedLineBegin := false // at the start of a continued line, where a line end ends the entry
	backslash := false         // an odd number of backslashes precede
	i := 0
	// newline counts the line end c, just read; "\r\n" counts once.
	newline := func(c byte) {
		if c == '\n' || i >= len(data) || data[i] != '\n' {
			line++
		}
	}
	trim := func() {
		if backslash {
			cur.text = cur.text[:len(cur.text)-1]
		}
	}
	for i < len(data) {
		c := data[i]
		i++
		if skipSpace {
			if isSpace(c) {
				continue
			}
			if !appendedLineBegin && (c == '\r' || c == '\n') {
				newline(c)
				continue
			}
			skipSpace, appendedLineBegin = false, false
		}
		if len(cur.text) == 0 {
			if c == '#' || c == '!' {
				for i < len(data) && data[i] != '\n' && data[i] != '\r' {
					i++
				}
				skipSpace = true
				continue
			}
			cur.line = line
		}
		if c != '\n' && c != '\r' {
			cur.text = append(cur.text, c)
			cur.nonASCII = cur.nonASCII || c >= 0x80
			backslash = c == '\\' && !backslash
			continue
		}
		newline(c)
		if len(cur.text) == 0 {
			skipSpace = true
			continue
		}
		if i >= len(data) { // the data ends with this line end
			trim()
			return append(out, cur)
		}
		if backslash {
			trim()
			backslash = false
			skipSpace, appendedLineBegin = true, true
			if c == '\r' && data[i] == '\n' {
				i++
				line++
			}
			continue
		}
		out = append(out, cur)
		cur = logicalLine{}
		skipSpace = true
	}
	if len(cur.text) == 0 {
		return out
	}
	trim()
	return append(out, cur)
}

// latin1 decodes ISO-8859-1 bytes, as java.util.Properties.load(InputStream)
// reads them: each byte is the code point of the same value.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
