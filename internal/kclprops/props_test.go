package kclprops

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var _ = flag.Bool("update", false, "unused: no golden files in this package")

// The expected keys and values below are what java.util.Properties.load
// (OpenJDK 17) makes of the same bytes.
func TestParseLikeJava(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want map[string]string
	}{
		{"separators", "a=1\n  b : 2\nc 3\nd\te\nf\f\fg\nh:  \t\f i", map[string]string{"a": "1", "b": "2", "c": "3", "d": "e", "f": "g", "h": "i"}},
		{"last wins", "a=1\na=2", map[string]string{"a": "2"}},
		{"comments", "# a=1\n! b=2\n  # c=3\nd=4 # not a comment", map[string]string{"d": "4 # not a comment"}},
		{"comment not continued", "# c \\\nb = 2", map[string]string{"b": "2"}},
		{"continuation in value", "k = v1\\\n   v2\\\n\tv3", map[string]string{"k": "v1v2v3"}},
		{"continuation in key", "key\\\n   part = v", map[string]string{"keypart": "v"}},
		{"continuation before separator", "v\\\n=w", map[string]string{"v": "w"}},
		{"hash after continuation is data", "k\\\n  #x=y", map[string]string{"k#x": "y"}},
		{"hash after lone continuation is a comment", "\\\n#x=y", map[string]string{}},
		{"empty line ends continuation", "k = v \\\n\nnext=1", map[string]string{"k": "v ", "next": "1"}},
		{"even backslashes do not continue", "r=s\\\\\nt=u", map[string]string{"r": `s\`, "t": "u"}},
		{"backslash at end of data", "tail=x\\", map[string]string{"tail": "x"}},
		{"escaped separators in key", `e\ f = g\=h` + "\n" + `m\:n=o` + "\n" + `\#p=q`, map[string]string{"e f": "g=h", "m:n": "o", "#p": "q"}},
		{"escapes in value", `i=\q\t\u0041\n`, map[string]string{"i": "q\tA\n"}},
		{"unicode escape in key is not a separator", `x\u003dy=z`, map[string]string{"x=y": "z"}},
		{"leading value whitespace escaped", `k6 = \ lead`, map[string]string{"k6": " lead"}},
		{"second separator is value", "t==u", map[string]string{"t": "=u"}},
		{"trailing whitespace kept", "k = trailing   ", map[string]string{"k": "trailing   "}},
		{"empty key", "  =empty", map[string]string{"": "empty"}},
		{"key only", "m\n", map[string]string{"m": ""}},
		{"latin-1 bytes", "k=\xe9", map[string]string{"k": "é"}},
		{"utf-8 bytes read as latin-1", "k=é", map[string]string{"k": "Ã©"}},
		{"no expansion", "a=1\nb=${a}", map[string]string{"a": "1", "b": "${a}"}},
		{"line ends", "a=1\rb=2\r\nc=3\n", map[string]string{"a": "1", "b": "2", "c": "3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("kcl.properties", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range f.Entries() {
				got[e.Key] = e.Value
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.data, diff)
			}
		})
	}
}

func TestParseLines(t *testing.T) {
	data := "a = 1\n" + // 1
		"# c \\\n" + // 2
		"b = 2\n" + // 3
		"key\\\n" + // 4
		"   part = v1\\\n" + // 5
		"   v2\n" + // 6
		"\n" + // 7
		"  ! x\n" + // 8
		"c\\:d=e\\u0041\\\n" + // 9
		"\\\n" + // 10
		"f: g\r\n" + // 11
		"h=i\r" + // 12
		"j=k\\\r\n" + // 13
		"  l\n" + // 14
		"  m\n" // 15
	f, err := Parse("kcl.properties", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"a", "1", 1}, {"b", "2", 3}, {"keypart", "v1v2", 4}, {"c:d", "eAf: g", 9},
		{"h", "i", 12}, {"j", "kl", 13}, {"m", "", 15},
	}
	if diff := cmp.Diff(want, f.Entries()); diff != "" {
		t.Errorf("Entries (-want +got):\n%s", diff)
	}
	for _, e := range want {
		if got := f.Line(e.Key); got != e.Line {
			t.Errorf("Line(%q) = %d, want %d", e.Key, got, e.Line)
		}
		if got, ok := f.Get(e.Key); !ok || got != e.Value {
			t.Errorf("Get(%q) = %q, %v, want %q, true", e.Key, got, ok, e.Value)
		}
	}
	if _, ok := f.Get("A"); ok {
		t.Errorf("Get is case-insensitive, want exact")
	}
	if got := f.Line("nope"); got != 0 {
		t.Errorf("Line(nope) = %d, want 0", got)
	}
}

func TestParseDuplicates(t *testing.T) {
	f, err := Parse("kcl.properties", []byte("a=1\nb=2\na=3\nc=4\na=5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Entry{{"b", "2", 2}, {"c", "4", 4}, {"a", "5", 5}}, f.Entries()); diff != "" {
		t.Errorf("Entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Entry{{"a", "1", 1}, {"a", "3", 3}}, f.Overridden()); diff != "" {
		t.Errorf("Overridden (-want +got):\n%s", diff)
	}
	for k, want := range map[string]string{"a": "5", "b": "2", "c": "4"} {
		if got, _ := f.Get(k); got != want {
			t.Errorf("Get(%q) = %q, want %q", k, got, want)
		}
	}
}

func TestParseMalformedUnicode(t *testing.T) {
	_, err := Parse("kcl.properties", []byte("a=1\n\nk=\\u00G1\n"))
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("Parse: %v, want a *SyntaxError", err)
	}
	if se.Line != 3 || se.Path != "kcl.properties" {
		t.Errorf("SyntaxError at %s:%d, want kcl.properties:3", se.Path, se.Line)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kcl.properties")
	if err := os.WriteFile(path, []byte("applicationName = app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Dir != dir || f.Path != path {
		t.Errorf("Load: Path %q, Dir %q, want %q, %q", f.Path, f.Dir, path, dir)
	}
	if _, err := Load(filepath.Join(dir, "missing.properties")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
}

func TestSplitExecutable(t *testing.T) {
	for in, want := range map[string][]string{
		"/bin/p":         {"/bin/p"},
		"/bin/p  -a  b ": {"/bin/p", "-a", "b"},
		" /bin/p":        {"", "/bin/p"},
		"/bin/p\t-a":     {"/bin/p\t-a"},
		"":               nil,
	} {
		if got := SplitExecutable(in); !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
			t.Errorf("SplitExecutable(%q) = %q, want %q", in, got, want)
		}
	}
}
