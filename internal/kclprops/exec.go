package kclprops

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// checkExecutable checks that executableName names a program the daemon
// can start (docs/protocol.md §1): the value is split on spaces with no quoting, a first
// token with a '/' is a path relative to the daemon's working directory,
// and a bare name is looked for on PATH.
func (c *checker) checkExecutable(e Entry) {
	v := e.Value
	if strings.Contains(v, "\t") {
		c.warnf(e, "executableName contains a tab, which is not a separator: the daemon splits only on spaces, so the tab stays inside a word")
	}
	if strings.Contains(v, "$") {
		c.warnf(e, "executableName contains $, which is passed on as is: the daemon starts the command with no shell, so there is no variable expansion")
	}
	argv := SplitExecutable(v)
	if len(argv) == 0 || argv[0] == "" {
		c.errorf(e, "executableName starts with a space, so the command's first word is empty and the daemon cannot start it")
		return
	}
	stat := c.env.Stat
	if stat == nil {
		stat = os.Stat
	}
	dir := c.env.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	prog := argv[0]
	hint := ""
	switch {
	case strings.HasPrefix(prog, "~"):
		hint = "; there is no ~ expansion"
	case strings.ContainsAny(prog[:1], `"'`):
		hint = "; quotes are passed on as part of the name, not removed"
	}

	if !strings.Contains(prog, "/") {
		c.lookPath(e, prog, stat, dir, hint)
		return
	}
	path := prog
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
		c.warnf(e, "executableName: %s is a relative path, resolved against the directory the daemon starts in (here %s); use an absolute path", prog, dir)
	}
	fi, err := stat(path)
	if err != nil {
		if joined, ok := c.spacedPath(v, argv, stat, dir); ok {
			c.errorf(e, "executableName: %s does not exist, but %q does: the daemon splits executableName on spaces with no quoting or escaping, so a path with spaces cannot work; move or link the program to a path without spaces", path, joined)
			return
		}
		c.errorf(e, "executableName: %s: no such file%s", path, hint)
		return
	}
	if msg := notRunnable(fi); msg != "" {
		c.errorf(e, "executableName: %s %s", path, msg)
	}
}

// lookPath finds a bare program name on PATH as execvp does: the first
// directory holding an executable file of that name wins, and an empty
// element means the working directory.
func (c *checker) lookPath(e Entry, prog string, stat func(string) (fs.FileInfo, error), dir, hint string) {
	lookup := c.env.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	pathEnv, _ := lookup("PATH")
	var found string
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = dir
		} else if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, prog)
		fi, err := stat(p)
		if err != nil {
			continue
		}
		if notRunnable(fi) == "" {
			return
		}
		if found == "" {
			found = p
		}
	}
	if found != "" {
		c.errorf(e, "executableName: %s is found on PATH at %s, but it is not an executable file", prog, found)
		return
	}
	c.errorf(e, "executableName: %s is not found on PATH (%s)%s", prog, pathEnv, hint)
}

// spacedPath finds the path a value with spaces probably meant: the longest
// run of leading words that, joined as written, names an existing file.
func (c *checker) spacedPath(v string, argv []string, stat func(string) (fs.FileInfo, error), dir string) (string, bool) {
	v = strings.TrimLeft(v, " ")
	for n := len(argv); n >= 2; n-- {
		// The value up to the end of the n-th word keeps the original spacing.
		end := 0
		for i := 0; i < n; i++ {
			end += strings.Index(v[end:], argv[i]) + len(argv[i])
		}
		joined := v[:end]
		p := joined
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if _, err := stat(p); err == nil {
			return joined, true
		}
	}
	return "", false
}

// notRunnable says why fi cannot be started, or returns "".
func notRunnable(fi fs.FileInfo) string {
	switch {
	case fi.IsDir():
		return "is a directory"
	case runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0:
		return fmt.Sprintf("is not executable (mode %v): chmod +x it", fi.Mode().Perm())
	}
	return ""
}
