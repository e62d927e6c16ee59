package kclprops

import (
	"regexp"
	"strconv"
	"strings"
)

// Source says where an effective setting comes from.
type Source string

const (
	FromFile    Source = "file"    // the value written in the file
	FromDefault Source = "default" // the KCL's default: the key is absent, or its value is skipped (docs/protocol.md §6.1)
	Derived     Source = "derived" // computed from another setting, such as tableName from applicationName
	Unset       Source = "unset"   // absent, with no value: the daemon does without
)

// Setting is one key of the effective configuration.
type Setting struct {
	Key    string `json:"key"`
	Value  string `json:"value"` // secrets masked, see Mask
	Source Source `json:"source"`
	Line   int    `json:"line,omitempty"` // the file line, for FromFile and for a skipped value
	Note   string `json:"note,omitempty"` // what the default means, or why the file's value is not used
}

// Effective returns the configuration KCL version v's daemon runs with when
// it reads f: every key it uses, with the value from the file or its
// default, in the order of docs/protocol.md §6. A value the daemon would not
// apply (one that does not convert, or a Java default it skips) shows the
// default with a note. Secrets are masked with Mask. Keys the daemon
// ignores are left out; Check reports them.
func Effective(f *File, v Version) []Setting {
	c := newChecker(f, v)
	c.run(false)
	value := func(name string) (string, bool) {
		s := c.spec(name)
		if s == nil {
			return "", false
		}
		if st := c.set[s]; st != nil && st.ok && !st.skipped && javaTrim(st.entry.Value) != "" {
			return st.entry.Value, true
		}
		return s.def, s.def != ""
	}
	app, hasApp := value("applicationName")
	var out []Setting
	for _, s := range c.specs {
		if s.kind == kNoConverter {
			continue
		}
		st := c.set[s]
		if st != nil && st.ok && !st.skipped && !(s.kind == kStreamARN && javaTrim(st.entry.Value) == "") {
			out = append(out, Setting{Key: s.name, Value: Mask(s.name, st.entry.Value), Source: FromFile, Line: st.entry.Line})
			continue
		}
		set := Setting{Key: s.name, Value: s.def, Source: FromDefault, Note: s.defNote}
		if st != nil {
			set.Line = st.entry.Line
			if st.skipped {
				set.Note = joinNote("line " + strconv.Itoa(st.entry.Line) + ": a Java default value, skipped")
			} else {
				set.Note = joinNote("line "+strconv.Itoa(st.entry.Line)+": not applied, see kcl check", s.defNote)
			}
		}
		if set.Value == "" {
			set.Source = Unset
		}
		switch s.name {
		case "tableName", "fanoutConfig.consumerName":
			if hasApp {
				set.Value, set.Source = app, Derived
			}
		case "workerMetricsTableName":
			if hasApp {
				set.Value, set.Source = app+"-WorkerMetricStats", Derived
			}
		case "coordinatorStateTableName":
			if hasApp {
				set.Value, set.Source = app+"-CoordinatorState", Derived
			}
		case "leaseAssignmentIntervalMillis":
			if ms, ok := value("failoverTimeMillis"); ok {
				if n, ok := parseJavaInt(javaTrim(ms), 64); ok {
					set.Value, set.Source = strconv.FormatInt(2*n, 10), Derived
				}
			}
		case "streamName":
			if arn, ok := value("streamArn"); ok {
				set.Value, set.Source, set.Note = arn[strings.LastIndex(arn, "/")+1:], Derived, "from streamArn"
			}
		case "AwsCredentialsProviderDynamoDB", "AwsCredentialsProviderCloudWatch":
			if p, ok := value("AwsCredentialsProvider"); ok {
				set.Value, set.Source = Mask(s.name, p), Derived
			}
		case "AWSCredentialsProviderDynamoDB", "AWSCredentialsProviderCloudWatch":
			if p, ok := value("AWSCredentialsProvider"); ok {
				set.Value, set.Source = Mask(s.name, p), Derived
			}
		case "retrievalMode":
			for _, p := range c.specs {
				if pst := c.set[p]; p.polling && pst != nil && pst.ok && !pst.skipped {
					set.Value, set.Source, set.Note = "POLLING", Derived, "DEFAULT with polling keys set"
					break
				}
			}
		}
		out = append(out, set)
	}
	for _, e := range c.extra {
		out = append(out, Setting{Key: e.Key, Value: Mask(e.Key, e.Value), Source: FromFile, Line: e.Line, Note: "passed to the AWS SDK client builder unchecked"})
	}
	return out
}

func joinNote(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

const masked = "****"

var (
	secretKeyRE  = regexp.MustCompile(`(?i)secret|passw(or)?d|token|externalid|accesskey|apikey|privatekey|signature`)
	accessKeyRE  = regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`)
	secretLikeRE = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	userinfoRE   = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@`)
	queryRE      = regexp.MustCompile(`([?&;][^=&;#\s]*(?i:secret|passw(?:or)?d|token|signature|credential|key)[^=&;#\s]*=)[^&;#\s]*`)
)

// Mask hides the secrets in a value for display: the whole value of a key
// named like a secret (secret, password, token, externalId, access key,
// signature), every AWS access key id (AKIA…, ASIA…), the user info of a
// URL and secret-looking query parameters, and in a credentials provider
// spec the value of each nested key=value argument and any argument that
// looks like a secret key.
func Mask(key, value string) string {
	if secretKeyRE.MatchString(key) {
		return masked
	}
	if strings.HasPrefix(strings.ToLower(key), "awscredentialsprovider") {
		value = maskProviders(value)
	}
	value = accessKeyRE.ReplaceAllString(value, masked)
	value = userinfoRE.ReplaceAllString(value, "${1}"+masked+"@")
	value = queryRE.ReplaceAllString(value, "${1}"+masked)
	return value
}

func maskProviders(value string) string {
	items := strings.Split(value, ",")
	for i, item := range items {
		parts := strings.Split(item, "|")
		for j := 1; j < len(parts); j++ {
			if k, _, ok := strings.Cut(parts[j], "="); ok {
				parts[j] = k + "=" + masked
			} else if secretLikeRE.MatchString(strings.TrimSpace(parts[j])) {
				parts[j] = masked
			}
		}
		items[i] = strings.Join(parts, "|")
	}
	return strings.Join(items, ",")
}
