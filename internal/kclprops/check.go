package kclprops

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Severity orders problems. An Error is a setting the daemon refuses (it
// fails to start) or one that silently has no effect or another effect than
// written: a miscased or misspelled key, which the daemon ignores without a
// word, or a value its converter turns into something else. A Warning is
// accepted and works, but probably not as meant, depends on the machine the
// daemon starts on, or rests on behaviour docs/protocol.md marks as
// unverified.
type Severity int

// The severities, Warning below Error.
const (
	Warning Severity = iota + 1
	Error
)

func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "unknown"
}

// Problem is one finding of Check.
type Problem struct {
	Severity Severity
	Line     int    // 0 when the problem is about a missing key or the whole file
	Key      string // the key as written in the file, or the missing key
	Message  string // starts with the key it is about
}

// Report is the result of Check: every problem found, sorted by line.
type Report struct {
	Problems []Problem
}

// Errors counts the problems of severity Error.
func (r *Report) Errors() int {
	n := 0
	for _, p := range r.Problems {
		if p.Severity == Error {
			n++
		}
	}
	return n
}

// Write writes one line per problem, "path:line: severity: message" (just
// "path: severity: message" for a problem with no line), as kcl check
// prints them.
func (r *Report) Write(w io.Writer, path string) error {
	for _, p := range r.Problems {
		loc := path
		if p.Line > 0 {
			loc = fmt.Sprintf("%s:%d", path, p.Line)
		}
		if _, err := fmt.Fprintf(w, "%s: %s: %s\n", loc, p.Severity, p.Message); err != nil {
			return err
		}
	}
	return nil
}

// Warnings counts the problems of severity Warning.
func (r *Report) Warnings() int { return len(r.Problems) - r.Errors() }

// Env is the machine the daemon will run on, as Check sees it when it
// looks for the program of executableName. The zero Env is this process's
// own: its working directory, environment and file system.
type Env struct {
	// Dir is the daemon's working directory, against which a relative
	// program path is resolved. Empty means the current directory.
	Dir string
	// LookupEnv reads the daemon's environment (PATH). Nil means
	// os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// Stat stats a file, following symbolic links. Nil means os.Stat.
	Stat func(name string) (fs.FileInfo, error)
}

// Check validates f as KCL version v's MultiLangDaemon would read it and
// reports every problem at once, sorted by line: unknown, miscased or
// misspelled keys (with the key meant), keys of other KCL versions, values
// the daemon's converters refuse or silently change, settings the daemon
// accepts but ignores, missing required keys, and an executableName whose
// program cannot be started. It looks for that program on this machine, as
// Env{}.Check does.
func Check(f *File, v Version) *Report { return Env{}.Check(f, v) }

// Check is the package-level Check, looking for executableName's program
// through env.
func (env Env) Check(f *File, v Version) *Report {
	c := newChecker(f, v)
	c.env = env
	c.run(true)
	sort.SliceStable(c.r.Problems, func(i, j int) bool { return c.r.Problems[i].Line < c.r.Problems[j].Line })
	return &c.r
}

// setting is what the daemon makes of one key of the schema.
type setting struct {
	entry   Entry
	ok      bool // the value converts and is applied
	skipped bool // a Java default value, which ConfigurationSettableUtils skips (docs/protocol.md §6.1)
}

type checker struct {
	f   *File
	v   Version
	env Env
	r   Report

	specs  []*keySpec            // the keys of version v, in schema order
	set    map[*keySpec]*setting // keys of the file the daemon reads
	by     map[*keySpec][]Entry  // file keys that resolved to each spec, for duplicates
	extra  []Entry               // SDK builder keys, passed through unchecked
	hinted map[string]bool       // required keys a near-miss message already named
}

func newChecker(f *File, v Version) *checker {
	c := &checker{f: f, v: v, set: map[*keySpec]*setting{}, by: map[*keySpec][]Entry{}, hinted: map[string]bool{}}
	for i := range schema {
		if schema[i].versions.has(v) {
			c.specs = append(c.specs, &schema[i])
		}
	}
	return c
}

func (c *checker) add(sev Severity, line int, key, msg string) {
	c.r.Problems = append(c.r.Problems, Problem{Severity: sev, Line: line, Key: key, Message: msg})
}

// addEntry reports a problem about e. Messages quote bad values (%q), and
// kcl daemon prints them where logs are kept, so the secrets in a quoted
// value are masked as Effective masks them.
func (c *checker) addEntry(sev Severity, e Entry, msg string) {
	if m := Mask(e.Key, e.Value); m != e.Value {
		msg = strings.ReplaceAll(msg, strconv.Quote(e.Value), strconv.Quote(m))
	}
	c.add(sev, e.Line, e.Key, msg)
}
func (c *checker) error(e Entry, msg string) { c.addEntry(Error, e, msg) }
func (c *checker) errorf(e Entry, format string, args ...any) {
	c.addEntry(Error, e, fmt.Sprintf(format, args...))
}
func (c *checker) warnf(e Entry, format string, args ...any) {
	c.addEntry(Warning, e, fmt.Sprintf(format, args...))
}

// valuef reports a bad value: an error, or a warning for a key whose name
// docs/protocol.md only infers (§8.3), where the lenient outcome is chosen.
func (c *checker) valuef(s *keySpec, e Entry, format string, args ...any) {
	if s.unverified {
		c.addEntry(Warning, e, fmt.Sprintf(format, args...)+" (this key is unverified, docs/protocol.md §8.3)")
		return
	}
	c.errorf(e, format, args...)
}

func (c *checker) v1() bool { return c.v.Major == 1 }

// canon is the name the daemon looks a file key up by. 2.7.0 and later
// rewrite a leading "awscredentialsprovider" in any case to
// "awsCredentialsProvider" (§6.1); 1.x calls with<Key>, upper-casing the
// first letter (§6.3); otherwise keys are bean property names, matched
// exactly.
func (c *checker) canon(name string, exact bool) string {
	const p = "awscredentialsprovider"
	if sdkV2.has(c.v) && len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
		return "awsCredentialsProvider" + name[len(p):]
	}
	if c.v1() && !exact && name != "" {
		return strings.ToUpper(name[:1]) + name[1:]
	}
	return name
}

// resolve finds the spec the daemon applies a file key to.
func (c *checker) resolve(key string) *keySpec {
	for _, s := range c.specs {
		if c.canon(key, s.exact) == c.canon(s.name, s.exact) {
			return s
		}
	}
	return nil
}

func (c *checker) run(withEnv bool) {
	if c.v.Major == 2 && c.v.Minor == 0 {
		c.add(Warning, 0, "", fmt.Sprintf("KCL %v: the 2.0.x MultiLangDaemon sends unusable record data (docs/protocol.md §5.1); use 2.1 or later", c.v))
	}
	for _, e := range c.f.Overridden() {
		c.warnf(e, "%s is set again on line %d; java.util.Properties keeps the last value, so this line has no effect", e.Key, c.f.Line(e.Key))
	}
	for _, e := range c.f.Entries() {
		if c.f.nonASCII[e.Line] {
			c.warnf(e, "%s: the line has non-ASCII bytes, which the daemon reads as ISO-8859-1 (java.util.Properties), so UTF-8 text arrives garbled; write such characters as \\uXXXX", e.Key)
		}
		c.entry(e)
	}
	c.crossChecks()
	if withEnv {
		if s := c.spec("executableName"); s != nil {
			if st := c.set[s]; st != nil && javaTrim(st.entry.Value) != "" {
				c.checkExecutable(st.entry)
			}
		}
	}
}

// spec returns this version's spec of name.
func (c *checker) spec(name string) *keySpec {
	for _, s := range c.specs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (c *checker) entry(e Entry) {
	if e.Key == "" {
		c.warnf(e, "an entry with an empty key: the line starts with a separator")
		return
	}
	s := c.resolve(e.Key)
	if s == nil {
		c.unknown(e)
		return
	}
	c.by[s] = append(c.by[s], e)
	st := &setting{entry: e}
	c.set[s] = st
	if isPlaceholder(e.Value) {
		c.warnf(e, "%s: %q looks like a placeholder left to fill in", e.Key, e.Value)
		st.ok = true // the daemon takes it as written
		return
	}
	st.ok = c.value(s, e, st)
	if st.ok {
		c.rules(s, e, st)
	}
}

var placeholderRE = regexp.MustCompile(`<[^<>]*>`)

func isPlaceholder(v string) bool { return placeholderRE.MatchString(v) }

// unknown reports a key that no spec of this version resolves.
func (c *checker) unknown(e Entry) {
	if !c.v1() {
		for _, p := range builderPrefixes {
			if strings.HasPrefix(e.Key, p) {
				c.extra = append(c.extra, e)
				return
			}
		}
	}
	var names []string
	for _, s := range c.specs {
		names = append(names, s.name)
	}
	// A key the daemon would read, were it spelled with other case.
	for _, s := range c.specs {
		if strings.EqualFold(e.Key, s.name) {
			c.nearMiss(e, s.name, "keys are case-sensitive")
			return
		}
	}
	// A key of another KCL version.
	for i := range schema {
		s := &schema[i]
		if strings.EqualFold(e.Key, s.name) && !s.versions.has(c.v) && c.spec(s.name) == nil {
			c.errorf(e, "%s is not read by KCL %v (only by %s), so the daemon ignores it", e.Key, c.v, s.versions)
			return
		}
	}
	if alt, ok := closest(e.Key, names); ok {
		c.nearMiss(e, alt, "")
		return
	}
	c.warnf(e, "%s: unknown key, ignored by the daemon", e.Key)
}

// nearMiss reports a key that is probably meant to be alt. It is an error:
// the daemon ignores the key without a word, so the setting has no effect.
func (c *checker) nearMiss(e Entry, alt, why string) {
	var notes []string
	if why != "" {
		notes = append(notes, why)
	}
	if isRequired(alt) {
		if _, ok := c.f.Get(alt); !ok {
			notes = append(notes, alt+" is required")
			c.hinted[alt] = true
		}
	}
	msg := fmt.Sprintf("%s: unknown key, ignored by the daemon without a word; did you mean %s?", e.Key, alt)
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	c.error(e, msg)
}

func isRequired(name string) bool {
	switch name {
	case "executableName", "applicationName", "streamName", "streamArn", "AWSCredentialsProvider", "AwsCredentialsProvider":
		return true
	}
	return false
}

func (s span) String() string {
	switch {
	case s == v1:
		return "KCL 1.x"
	case s.until == noLimit:
		return fmt.Sprintf("KCL %v and later", s.since)
	case s.since == (Version{1, 0, 0}):
		return fmt.Sprintf("KCL before %v", s.until)
	}
	return fmt.Sprintf("KCL %v up to %v", s.since, s.until)
}

// value checks e's value against s's type; ok reports whether the daemon
// applies it as written.
func (c *checker) value(s *keySpec, e Entry, st *setting) bool {
	v := e.Value
	switch s.kind {
	case kString:
		if strings.TrimRight(v, " \t\f") != v {
			c.warnf(e, "%s: the value ends in whitespace, which is part of it (java.util.Properties keeps trailing whitespace)", e.Key)
		}
	case kInt, kLong, kInteger, kLongObj:
		return c.number(s, e, st)
	case kDouble:
		ok, zero := parseJavaDouble(javaTrim(v))
		if c.v1() && javaTrim(v) != v {
			ok = false
		}
		if !ok {
			c.valuef(s, e, "%s: %q is not a number%s", e.Key, v, c.convertLoss(s))
			return false
		}
		return c.zero(s, e, st, zero)
	case kBool, kBoolObj:
		return c.boolean(s, e, st)
	case kEnum:
		return c.enum(s, e)
	case kDuration:
		ok, neg := parseDuration(javaTrim(v))
		switch {
		case !ok:
			c.valuef(s, e, "%s: %q is not an ISO-8601 duration such as PT12H or P1D; the daemon fails at startup", e.Key, v)
			return false
		case neg:
			c.valuef(s, e, "%s: %q is negative, which the daemon refuses at startup", e.Key, v)
			return false
		}
	case kURI:
		return c.uri(s, e)
	case kEpochSeconds:
		n, ok := parseJavaInt(v, 64)
		if !ok {
			why := "the daemon fails at startup"
			if c.v1() {
				why = "KCL 1.x logs a warning and ignores the key"
			}
			if javaTrim(v) != v {
				why = "the value has whitespace around it, which is not trimmed: " + why
			}
			c.valuef(s, e, "%s: %q is not a whole number of seconds since 1970; %s", e.Key, v, why)
			return false
		}
		if n > 100_000_000_000 {
			c.warnf(e, "%s: %d looks like milliseconds; the value is in seconds since 1970", e.Key, n)
		}
	case kList:
		for _, item := range strings.Split(v, ",") {
			if javaTrim(item) == "" {
				c.warnf(e, "%s: the list %q has an empty element", e.Key, v)
				break
			}
		}
	case kTags:
		return c.tags(s, e)
	case kCredentials:
		c.checkCredentials(s, e)
	case kRegion:
		if !regionRE.MatchString(v) {
			c.warnf(e, "%s: %q does not look like an AWS region name such as us-east-1; the daemon does not check it, but the AWS clients fail without a valid region", e.Key, v)
		}
	case kStreamARN:
		if javaTrim(v) != "" && !streamARNRE.MatchString(v) {
			c.valuef(s, e, "%s: %q is not a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME); the daemon validates it at startup and fails", e.Key, v)
			return false
		}
	case kNoConverter:
		if c.v1() {
			c.errorf(e, "%s cannot be set from the file in KCL 1.x: its type has no decoder, so the daemon ignores it (docs/protocol.md §6.3)", e.Key)
		} else {
			// §6.2: it probably fails at startup, which nobody has tried, so the lenient outcome.
			c.warnf(e, "%s has a setter but no converter from a string; the daemon probably fails at startup (unverified, docs/protocol.md §6.2)", e.Key)
		}
		return false
	}
	return true
}

var (
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	streamARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[a-zA-Z0-9_.-]{1,128}$`)
)

// convertLoss says what happens to a value the daemon cannot convert.
func (c *checker) convertLoss(s *keySpec) string {
	switch {
	case c.v1() && !s.exact:
		return "; KCL 1.x logs a warning and ignores the key"
	case c.v1() || s.exact:
		return ""
	case s.settable && s.kind.primitive():
		return fmt.Sprintf("; commons-beanutils turns what it cannot convert into 0, which the daemon then skips, so %s stays", s.defaultText())
	}
	return "; commons-beanutils turns what it cannot convert into 0, and the daemon uses that"
}

// defaultText names the default for a message.
func (s *keySpec) defaultText() string {
	switch {
	case s.def != "":
		return "the default " + s.def
	case s.defNote != "":
		return "the default (" + s.defNote + ")"
	}
	return "the default"
}

func (c *checker) number(s *keySpec, e Entry, st *setting) bool {
	bits, what := 32, "an int (a whole number from -2147483648 to 2147483647)"
	if s.kind == kLong || s.kind == kLongObj {
		bits, what = 64, "a long (a whole number within ±9223372036854775807)"
	}
	v := e.Value
	if !c.v1() && !s.exact {
		v = javaTrim(v) // commons-beanutils' NumberConverter trims
	}
	n, ok := parseJavaInt(v, bits)
	if !ok {
		msg := fmt.Sprintf("%s: %q is not %s", e.Key, e.Value, what)
		if v != javaTrim(v) {
			msg += "; the whitespace around it is not trimmed"
		}
		c.valuef(s, e, "%s%s", msg, c.convertLoss(s))
		return false
	}
	return c.zero(s, e, st, n == 0)
}

// zero applies §6.1: ConfigurationSettableUtils skips a value equal to the
// Java default of a primitive field's type, so the KCL default stays.
func (c *checker) zero(s *keySpec, e Entry, st *setting, isZero bool) bool {
	if !isZero || !s.settable || !s.kind.primitive() || c.v1() {
		return true
	}
	st.skipped = true
	if s.def == "0" || s.def == "false" {
		return true // skipped, but the default is the same value
	}
	c.warnf(e, "%s = %s is ignored: the daemon skips a value equal to Java's default for the type (docs/protocol.md §6.1), so %s stays", e.Key, e.Value, s.defaultText())
	return true
}

func (c *checker) boolean(s *keySpec, e Entry, st *setting) bool {
	lower := strings.ToLower(e.Value)
	if c.v1() {
		// Boolean.parseBoolean: "true" in any case, everything else false.
		if lower == "true" || beanFalse[lower] {
			return true
		}
		if beanTrue[lower] {
			c.errorf(e, "%s: KCL 1.x reads only \"true\" (in any case) as true, so %q means false", e.Key, e.Value)
		} else {
			c.errorf(e, "%s: %q is not a boolean; KCL 1.x reads it as false", e.Key, e.Value)
		}
		return false
	}
	if beanTrue[lower] {
		return true
	}
	if beanFalse[lower] {
		return c.zero(s, e, st, true)
	}
	msg := fmt.Sprintf("%s: %q is not a boolean (true/false, yes/no, y/n, on/off, 1/0 in any case)", e.Key, e.Value)
	if beanTrue[strings.ToLower(javaTrim(e.Value))] || beanFalse[strings.ToLower(javaTrim(e.Value))] {
		msg += "; the whitespace around it is not trimmed"
	}
	if s.exact {
		c.valuef(s, e, "%s", msg)
		return false
	}
	msg += "; commons-beanutils turns it into false"
	if s.settable && s.kind.primitive() && s.def != "false" {
		msg += fmt.Sprintf(", which the daemon then skips, so %s stays", s.defaultText())
	}
	c.valuef(s, e, "%s", msg)
	return false
}

func (c *checker) enum(s *keySpec, e Entry) bool {
	v := e.Value
	if trimmed := javaTrim(v); trimmed != v {
		if contains(s.enum, strings.ToUpper(trimmed)) {
			// The metricsLevel and initialPositionInStream converters, and
			// 1.x's decoders, upper-case the value without trimming it.
			if c.v1() || s.name == "metricsLevel" || s.name == "initialPositionInStream" {
				c.valuef(s, e, "%s: %q has whitespace around it, which the daemon does not trim, so it matches no value", e.Key, v)
				return false
			}
			c.warnf(e, "%s: %q has whitespace around it, which the daemon may not trim", e.Key, v)
			return true
		}
	}
	up := strings.ToUpper(v)
	if !contains(s.enum, up) {
		msg := fmt.Sprintf("%s: %q is not one of %s", e.Key, v, strings.Join(s.enum, ", "))
		if c.v1() {
			msg += ", so KCL 1.x logs a warning and ignores the key"
		} else {
			msg += ", so the daemon fails at startup"
		}
		if alt, ok := closest(up, s.enum); ok {
			msg += "; did you mean " + alt + "?"
		}
		c.valuef(s, e, "%s", msg)
		return false
	}
	return true
}

func (c *checker) uri(s *keySpec, e Entry) bool {
	v := e.Value
	u, err := url.Parse(v)
	switch {
	case strings.ContainsAny(v, " \t\f"):
		c.valuef(s, e, "%s: %q contains whitespace, which a URI cannot; the daemon fails at startup", e.Key, v)
	case err != nil:
		c.valuef(s, e, "%s: %q is not a URI: %v", e.Key, v, errors.Unwrap(err))
	case !c.v1() && u.Scheme != "http" && u.Scheme != "https":
		c.valuef(s, e, "%s: %q does not start with http:// or https://, which the AWS SDK v2 needs in an endpoint", e.Key, v)
	default:
		return true
	}
	return false
}

func (c *checker) tags(s *keySpec, e Entry) bool {
	ok := true
	for _, pair := range javaSplit(javaTrim(e.Value), ",") {
		kv := javaSplit(javaTrim(pair), "=")
		if len(kv) != 2 {
			c.valuef(s, e, "%s: tag %q is not key=value; the daemon logs \"Invalid tag\" and drops it", e.Key, pair)
			ok = false
			continue
		}
		if javaTrim(kv[0]) == "" {
			c.warnf(e, "%s: tag %q has an empty key", e.Key, pair)
		}
	}
	return ok
}

// rules applies docs/protocol.md's rules about values the daemon accepts but does
// not use as written.
func (c *checker) rules(s *keySpec, e Entry, st *setting) {
	v := javaTrim(e.Value)
	n, isInt := parseJavaInt(v, 64)
	switch s.name {
	case "processingLanguage":
		if !c.v1() {
			c.warnf(e, "%s is only logged by KCL 2.x and 3.x (docs/protocol.md §6.2)", e.Key)
		}
	case "validateSequenceNumberBeforeCheckpointing":
		if !c.v1() {
			c.warnf(e, "%s is accepted but unused by KCL 2.x and 3.x (docs/protocol.md §6.2)", e.Key)
		}
	case "initialPositionInStream":
		if strings.EqualFold(v, "AT_TIMESTAMP") {
			if c.v1() {
				// §6.3 names timestampAtInitialPositionInStream as the 1.x key; what 1.x does with
				// AT_TIMESTAMP here is not specified, so this is only a warning.
				c.warnf(e, "%s = AT_TIMESTAMP: in KCL 1.x set timestampAtInitialPositionInStream = <epoch seconds> instead (docs/protocol.md §6.3)", e.Key)
			} else {
				c.errorf(e, "%s = AT_TIMESTAMP is not supported by the 2.x/3.x MultiLangDaemon (\"Invalid InitialPosition: AT_TIMESTAMP\"); set initialPositionInStreamExtended = <epoch seconds> instead", e.Key)
				st.ok = false
			}
		}
	case "idleTimeBetweenReadsInMillis":
		if !c.v1() && isInt && n != 0 && n < 200 {
			c.warnf(e, "%s = %s is raised to 200, the least the KCL allows (docs/protocol.md §6.2)", e.Key, v)
		}
	case "maxRecords":
		if isInt && n > 10000 {
			c.warnf(e, "%s = %s: GetRecords returns at most 10000 records", e.Key, v)
		}
	case "maxActiveThreads":
		if isInt && n > 0 {
			// Starvation with a small fixed pool is inferred, not observed (docs/protocol.md §8.4).
			c.warnf(e, "%s = %s makes a fixed pool shared by every child, and each child holds one thread for good: with fewer threads than shards plus a few, the daemon can hang (docs/protocol.md §6.2, §8.4)", e.Key, v)
		}
	case "timeoutInSeconds":
		if isInt && n <= 0 {
			c.warnf(e, "%s = %s: the daemon halts the JVM when a wait for the child exceeds this, so every wait fails at once (docs/protocol.md §4, §6.2)", e.Key, v)
		}
	}
}

// crossChecks applies the rules that span several keys.
func (c *checker) crossChecks() {
	get := func(name string) (*setting, bool) {
		s := c.spec(name)
		if s == nil {
			return nil, false
		}
		st, ok := c.set[s]
		return st, ok && javaTrim(st.entry.Value) != ""
	}
	missing := func(name, msg string) {
		if !c.hinted[name] {
			c.add(Error, 0, name, msg)
		}
	}

	// Required keys (§6.1, §6.2, §6.3).
	if _, ok := get("executableName"); !ok {
		missing("executableName", "executableName is missing or empty: the daemon needs the command to start for each shard")
	}
	if _, ok := get("applicationName"); !ok {
		missing("applicationName", "applicationName is missing or empty: the daemon refuses to start without it")
	}
	name, hasName := get("streamName")
	arn, hasARN := get("streamArn")
	switch {
	case !hasName && !hasARN && c.spec("streamArn") != nil:
		if !c.hinted["streamArn"] {
			missing("streamName", "streamName (or streamArn) is missing or empty: the daemon refuses to start without a stream")
		}
	case !hasName && !hasARN:
		missing("streamName", "streamName is missing or empty: the daemon refuses to start without it")
	case hasName && hasARN && arn.ok:
		arnName := javaTrim(arn.entry.Value)[strings.LastIndex(javaTrim(arn.entry.Value), "/")+1:]
		if arnName != name.entry.Value {
			c.warnf(name.entry, "streamName %q is overridden by the stream in streamArn (line %d), %q: the ARN wins (docs/protocol.md §6.1)", name.entry.Value, arn.entry.Line, arnName)
		}
	}
	credKey := "AwsCredentialsProvider"
	if !sdkV2.has(c.v) {
		credKey = "AWSCredentialsProvider"
	}
	if _, ok := get(credKey); !ok {
		msg := credKey + " is missing or empty: the daemon refuses to start without a credentials provider"
		if c.v.Major == 2 && !sdkV2.has(c.v) {
			msg += " (before 2.7.0 the key is exactly AWSCredentialsProvider, with AWS SDK v1 class names)"
		}
		missing(credKey, msg)
	}

	// Two file keys the daemon applies to one property: java.util.Properties
	// hands them over in hash order, so the file does not say which wins.
	fields := map[string][]Entry{}
	for _, s := range c.specs {
		es := c.by[s]
		if len(es) > 1 {
			c.warnf(es[len(es)-1], "%s and %s (line %d) set the same property; which one wins is not the file's order", es[len(es)-1].Key, es[0].Key, es[0].Line)
		}
		if s.field != "" && len(es) > 0 {
			fields[s.field] = append(fields[s.field], es...)
		}
	}
	for field, es := range fields {
		if len(es) > 1 {
			sort.Slice(es, func(i, j int) bool { return es[i].Line < es[j].Line })
			c.warnf(es[1], "%s and %s (line %d) both set the %s; set only one", es[1].Key, es[0].Key, es[0].Line, field)
		}
	}

	// Polling keys under retrievalMode DEFAULT or FANOUT (§6.2).
	if c.spec("retrievalMode") != nil {
		mode := "DEFAULT"
		if st, ok := get("retrievalMode"); ok && st.ok {
			mode = strings.ToUpper(javaTrim(st.entry.Value))
		}
		var polling []Entry
		for _, s := range c.specs {
			if st, ok := c.set[s]; ok && s.polling && st.ok && !st.skipped {
				polling = append(polling, st.entry)
			}
		}
		sort.Slice(polling, func(i, j int) bool { return polling[i].Line < polling[j].Line })
		if len(polling) > 0 {
			var keys []string
			for _, e := range polling {
				keys = append(keys, e.Key)
			}
			switch mode {
			case "DEFAULT":
				c.warnf(polling[0], "%s with retrievalMode DEFAULT switches the daemon from enhanced fan-out to polling (docs/protocol.md §6.2); set retrievalMode = POLLING to say so", strings.Join(keys, ", "))
			case "FANOUT":
				c.warnf(polling[0], "%s only apply to polling, and retrievalMode is FANOUT (docs/protocol.md §6.2)", strings.Join(keys, ", "))
			}
		}
	}
}
