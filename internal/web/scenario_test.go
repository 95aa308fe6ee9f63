package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// scenario is one HTTP request of a test and what its answer must be. The
// auth, team, invitation and import tests write their requests as
// scenarios — in tables, in sequences, or one at a time between other
// steps — and a scenarioRunner sends them.
type scenario struct {
	name         string // the subtest's name in a table or sequence; names a failure
	as           string // who sends it: a principal the runner knows by name; "" sends no token
	method, path string
	host         string // "" is the runner's host
	body         any    // marshalled as JSON unless a string
	header       map[string]string
	cookies      []*http.Cookie

	wantStatus int
	wantCode   string   // the JSON error code, when the answer is an error
	want       []string // text the body must hold
	wantNot    []string // text the body must not hold
	check      func(t testing.TB, r *resp)
}

// scenarioRunner sends scenarios to one test server, on a host unless a
// scenario names another, as principals known by name (their bearer access
// tokens). Tests add principals as they sign them in.
type scenarioRunner struct {
	ts   *testServer
	host string
	as   map[string]string
}

func (ts *testServer) scenarios(host string, as map[string]string) scenarioRunner {
	if as == nil {
		as = map[string]string{}
	}
	return scenarioRunner{ts: ts, host: host, as: as}
}

// send sends one scenario and checks its answer, ending the test at the
// first thing wrong with it; the answer is returned for what comes next.
func (sr scenarioRunner) send(t testing.TB, s scenario) *resp {
	t.Helper()
	q := req{method: s.method, host: s.host, path: s.path, body: s.body, header: s.header, cookies: s.cookies}
	if q.host == "" {
		q.host = sr.host
	}
	if s.as != "" {
		token, ok := sr.as[s.as]
		if !ok {
			t.Fatalf("no principal %q in the fixture", s.as)
		}
		q.token = token
	}
	r := sr.ts.do(t, q)
	what := fmt.Sprintf("%s %s as %q", s.method, s.path, s.as)
	if s.name != "" {
		what = s.name + ": " + what
	}
	if r.status != s.wantStatus || (s.wantCode != "" && r.code() != s.wantCode) {
		t.Fatalf("%s: %d %s, want %d %s", what, r.status, r.body, s.wantStatus, s.wantCode)
	}
	for _, w := range s.want {
		if !strings.Contains(string(r.body), w) {
			t.Fatalf("%s: the answer lacks %q: %s", what, w, r.body)
		}
	}
	for _, w := range s.wantNot {
		if strings.Contains(string(r.body), w) {
			t.Fatalf("%s: the answer holds %q: %s", what, w, r.body)
		}
	}
	if s.check != nil {
		s.check(t, r)
	}
	return r
}

// run sends each scenario as a subtest named after it. A sequence stops at
// its first failing step, since later steps depend on its outcome;
// independent cases all run.
func (sr scenarioRunner) run(t *testing.T, sequential bool, steps []scenario) {
	t.Helper()
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) { sr.send(t, s) })
		if !ok && sequential {
			return
		}
	}
}

// wantField checks that an error answer names field, mentioning each of words.
func wantField(field string, words ...string) func(t testing.TB, r *resp) {
	return func(t testing.TB, r *resp) {
		t.Helper()
		var e errorBody
		r.decode(t, &e)
		msg := e.Error.Fields[field]
		if msg == "" {
			t.Fatalf("the error names no field %q: %s", field, r.body)
		}
		for _, w := range words {
			if !strings.Contains(msg, w) {
				t.Errorf("fields.%s = %q, want it to mention %q", field, msg, w)
			}
		}
	}
}
