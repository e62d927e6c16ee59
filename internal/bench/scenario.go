package bench

import "strings"

// Scenario is one workload: Batches processRecords lines of Records records
// of Payload random bytes each. A scenario without batches measures
// startup.
type Scenario struct {
	Name                      string
	Batches, Records, Payload int
}

// Scenarios returns S1 to S4, at full size or, with quick, at sizes small
// enough for tests (the figures then mean little).
func Scenarios(quick bool) []Scenario {
	if quick {
		return []Scenario{
			{"S1", 20, 100, 1 << 10},
			{"S2", 2, 4, 256 << 10},
			{"S3", 300, 1, 100},
			{"S4", 0, 0, 0},
		}
	}
	return []Scenario{
		{"S1", 200, 1000, 1 << 10},
		{"S2", 10, 10, 1 << 20},
		{"S3", 20000, 1, 100},
		{"S4", 0, 0, 0},
	}
}

// Lookup returns the scenario named name, in any case, from Scenarios(quick).
func Lookup(name string, quick bool) (Scenario, bool) {
	for _, s := range Scenarios(quick) {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Scenario{}, false
}
