package kclprops

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a KCL release, such as 3.1.3.
type Version struct {
	Major, Minor, Patch int
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// ParseVersion parses "3", "3.1" or "3.1.3". Missing parts are zero.
func ParseVersion(s string) (Version, error) {
	var v Version
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return v, fmt.Errorf("kclprops: bad KCL version %q: want major[.minor[.patch]]", s)
	}
	dst := []*int{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("kclprops: bad KCL version %q: want major[.minor[.patch]]", s)
		}
		*dst[i] = n
	}
	if v.Major < 1 || v.Major > 3 {
		return Version{}, fmt.Errorf("kclprops: KCL version %q: only majors 1, 2 and 3 exist", s)
	}
	return v, nil
}
