package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConfigErrors: every refusal names the rule, the condition and the
// field, and says what is wanted.
func TestConfigErrors(t *testing.T) {
	many := func(n int, rule string) string {
		return `{"rules":[` + strings.TrimSuffix(strings.Repeat(rule+",", n), ",") + `]}`
	}
	manyConds := `{"rules":[{"when":[` + strings.TrimSuffix(strings.Repeat(`{"path":"a","exists":true},`, 65), ",") + `],"to":"x"}]}`
	var paths []string // each condition reads two paths
	for i := range 33 {
		paths = append(paths, fmt.Sprintf(`{"path":"p%d","gt":{"path":"q%d"}}`, i, i))
	}
	cases := map[string]string{
		``:                          "route: no config: give rules",
		`{"rules":[],"mode":"any"}`: `route: config: mode "any": want "first" or "all"`,
		`{"rules":[{"when":[{"path":"a","eq":1}],"to":"x"}]}`:                                      `route: config: json: unknown field "eq"`,
		`{"rules":[{"to":"x"},{"when":[{"path":"a..b","exists":true}],"to":"x"}]}`:                 `route: config: rule 1: when.0: path "a..b": jsonpath: path "a..b" has an empty segment`,
		`{"rules":[{"when":[{"path":"a"}],"to":"x"}]}`:                                             `route: config: rule 0: when.0: path "a": 0 predicates, want exactly one of`,
		`{"rules":[{"when":[{"path":"a","equals":1,"prefix":"x"}],"to":"x"}]}`:                     `route: config: rule 0: when.0: path "a": 2 predicates`,
		`{"rules":[{"when":[{"path":"a","equals":[1]}],"to":"x"}]}`:                                `route: config: rule 0: when.0: [1]: want a string, number, boolean or null`,
		`{"rules":[{"when":[{"path":"a","in":[]}],"to":"x"}]}`:                                     `route: config: rule 0: when.0: in: an empty list never matches`,
		`{"rules":[{"when":[{"path":"a","in":[1,{}]}],"to":"x"}]}`:                                 `route: config: rule 0: when.0: in.1: {}: want a string`,
		`{"rules":[{"when":[{"path":"a","gt":"5"}],"to":"x"}]}`:                                    `a bound is a number or {"path": "…"}, got "5"`,
		`{"rules":[{"when":[{"path":"a","gt":{"path":"b"},"lt":{"path":"c"}}],"to":"x"}]}`:         `route: config: rule 0: when.0: lt: at most one bound of a condition may name a path`,
		`{"rules":[{"when":[{"path":"a","regex":"` + strings.Repeat("a", 4097) + `"}],"to":"x"}]}`: `route: config: rule 0: when.0: regex: 4097 bytes, at most 4096`,
		`{"rules":[{"when":[{"path":"a","regex":"a{2000}"}],"to":"x"}]}`:                           `route: config: rule 0: when.0: regex: error parsing regexp: invalid repeat count`,
		`{"rules":[{"to":[]}]}`:                                    `route: config: rule 0: to: no target`,
		`{"rules":[{"to":["x","drop"]}]}`:                          `route: config: rule 0: to: 1: "drop" must be the only target`,
		`{"rules":[{"to":["x","x"]}]}`:                             `route: config: rule 0: to: 1: port "x" given twice`,
		`{"rules":[{"to":"*"}]}`:                                   `route: config: rule 0: to: 0: port "*" is reserved`,
		`{"rules":[{"to":"` + strings.Repeat("p", 65) + `"}]}`:     `route: config: rule 0: to: 0: port "pppppppppppppppppppp"…: 65 bytes, at most 64`,
		`{"rules":[{"to":5}]}`:                                     `a target is a port name, "drop", or a list of them, got 5`,
		`{"rules":[],"default":"` + strings.Repeat("p", 65) + `"}`: `route: config: default: port`,
		many(65, `{"to":"x"}`):                                     "route: config: 65 rules, at most 64",
		manyConds:                                                  "route: config: rule 0: when.64: more than 64 conditions in all rules",
		`{"rules":[{"to":"x","when":[` + strings.Join(paths[:32], ",") + `]}]}`: "",
		`{"rules":[{"to":"x","when":[` + strings.Join(paths, ",") + `]}]}`:      `route: config: rule 0: when.32: path "p32": more than 64 distinct paths`,
		`{"rules":[]} {}`: "route: config: trailing data after the config object",
	}
	for cfg, want := range cases {
		_, err := newRouter([]byte(cfg))
		if want == "" {
			require.NoError(t, err, "%.80s", cfg)
			continue
		}
		require.ErrorContains(t, err, want, "%.80s", cfg)
	}
}

// TestNoPathsScans: rules without conditions declare no paths, so the
// router scans (the host would refuse an empty declaration) and still
// fails what is not JSON.
func TestNoPathsScans(t *testing.T) {
	rt, err := newRouter([]byte(`{"rules":[{"to":"all"}]}`))
	require.NoError(t, err)
	require.False(t, rt.project)
	require.Empty(t, rt.paths)
}

func TestMayMeet(t *testing.T) {
	for _, c := range []struct {
		a, b string
		meet bool
	}{
		{"a", "a.b", true}, {"a.b", "a.*", true}, {"*.b", "a.c", false}, {"a.0", "a.00", true},
		{"a.0", "a.1", false}, {"x.y", "a", false}, {"a.b.c", "a.*.d", false}, {"*", "q.r", true},
	} {
		require.Equal(t, c.meet, mayMeet(strings.Split(c.a, "."), strings.Split(c.b, ".")), "%s %s", c.a, c.b)
	}
}
