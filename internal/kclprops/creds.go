package kclprops

import (
	"fmt"
	"regexp"
	"strings"
)

// Credentials providers the daemon can build from a class name alone, by
// AWS SDK generation (docs/protocol.md §6.2, §6.3). A short name is looked up in the SDK's
// auth packages and the multilang auth package; a name that resolves to no
// class is skipped without an error, so a misspelled or wrong-generation
// name leaves the daemon with no credentials at all.
var (
	// SDK v2: software.amazon.awssdk.auth.credentials and
	// software.amazon.kinesis.multilang.auth, KCL 2.7.0 and later.
	providersV2 = []string{
		"DefaultCredentialsProvider", "EnvironmentVariableCredentialsProvider",
		"SystemPropertyCredentialsProvider", "ProfileCredentialsProvider",
		"InstanceProfileCredentialsProvider", "ContainerCredentialsProvider",
		"WebIdentityTokenFileCredentialsProvider", "AnonymousCredentialsProvider",
		"StsAssumeRoleCredentialsProvider", "KclStsAssumeRoleCredentialsProvider",
	}
	// SDK v1: com.amazonaws.auth and com.amazonaws.auth.profile, KCL 1.x and
	// 2.x before 2.7.0.
	providersV1 = []string{
		"DefaultAWSCredentialsProviderChain", "EnvironmentVariableCredentialsProvider",
		"SystemPropertiesCredentialsProvider", "ProfileCredentialsProvider",
		"InstanceProfileCredentialsProvider", "ContainerCredentialsProvider",
		"EC2ContainerCredentialsProviderWrapper", "ClasspathPropertiesFileCredentialsProvider",
		"PropertiesFileCredentialsProvider", "WebIdentityTokenCredentialsProvider",
		"STSAssumeRoleSessionCredentialsProvider", "KclSTSAssumeRoleSessionCredentialsProvider",
	}
	// The other generation's nearest equivalent, for the error message.
	v1ToV2 = map[string]string{
		"DefaultAWSCredentialsProviderChain":      "DefaultCredentialsProvider",
		"SystemPropertiesCredentialsProvider":     "SystemPropertyCredentialsProvider",
		"EC2ContainerCredentialsProviderWrapper":  "DefaultCredentialsProvider",
		"WebIdentityTokenCredentialsProvider":     "WebIdentityTokenFileCredentialsProvider",
		"STSAssumeRoleSessionCredentialsProvider": "StsAssumeRoleCredentialsProvider",
	}
	v2ToV1 = map[string]string{
		"DefaultCredentialsProvider":              "DefaultAWSCredentialsProviderChain",
		"SystemPropertyCredentialsProvider":       "SystemPropertiesCredentialsProvider",
		"WebIdentityTokenFileCredentialsProvider": "WebIdentityTokenCredentialsProvider",
		"StsAssumeRoleCredentialsProvider":        "STSAssumeRoleSessionCredentialsProvider",
	}
	// Nested key=value arguments the multilang decoder understands (§6.2).
	nestedCredentialKeys = []string{"endpoint", "endpointRegion", "externalId"}

	javaClassRE = regexp.MustCompile(`^[\p{L}_$][\p{L}\p{N}_$]*(\.[\p{L}_$][\p{L}\p{N}_$]*)*$`)
)

// checkCredentials checks a credentials provider spec: a comma list of
// class names, each optionally followed by |-separated arguments.
func (c *checker) checkCredentials(s *keySpec, e Entry) {
	sdk2 := sdkV2.has(c.v)
	known, other := providersV1, providersV2
	mapping, gen, otherGen := v2ToV1, "AWS SDK v1", "AWS SDK v2"
	if sdk2 {
		known, other = providersV2, providersV1
		mapping, gen, otherGen = v1ToV2, "AWS SDK v2", "AWS SDK v1"
	}
	var names int
	for _, item := range strings.Split(e.Value, ",") {
		item = javaTrim(item)
		if item == "" {
			continue
		}
		names++
		parts := strings.Split(item, "|")
		name := parts[0]
		if !javaClassRE.MatchString(name) {
			c.errorf(e, "%s: %q is not a Java class name", e.Key, name)
			continue
		}
		if sdk2 {
			for _, arg := range parts[1:] {
				k, _, ok := strings.Cut(arg, "=")
				if ok && !contains(nestedCredentialKeys, k) {
					c.warnf(e, "%s: nested argument %q: the credentials decoder knows only %s", e.Key, k, strings.Join(nestedCredentialKeys, ", "))
				}
			}
		}
		short := name[strings.LastIndex(name, ".")+1:]
		qualified := strings.Contains(name, ".")
		otherPackage := (sdk2 && strings.HasPrefix(name, "com.amazonaws.")) || (!sdk2 && strings.HasPrefix(name, "software.amazon.awssdk."))
		switch {
		case otherPackage || (!qualified && !contains(known, short) && contains(other, short)):
			msg := fmt.Sprintf("%s: %s is an %s class, but KCL %v loads %s providers and skips names it cannot load, so it gets no credentials", e.Key, name, otherGen, c.v, gen)
			if alt, ok := mapping[short]; ok {
				msg += "; use " + alt
			}
			c.error(e, msg)
		case qualified || contains(known, name):
			// A fully qualified name may be any class on the classpath.
		default:
			if alt, ok := closest(name, known); ok {
				c.errorf(e, "%s: unknown provider %s: did you mean %s? the daemon skips names it cannot load", e.Key, name, alt)
			} else {
				c.warnf(e, "%s: %s is not a provider this check knows; the daemon skips it if no such class is on the classpath", e.Key, name)
			}
		}
	}
	if names == 0 {
		c.errorf(e, "%s is empty: it names no credentials provider", e.Key)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
