package system

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The queue's health is read from River's own table, river_job in the queue
// schema, read-only, rather than through the River client's JobList:
// JobList pages through job rows — each with its arguments and every
// attempt's error and stack trace — so counting them by state and kind
// would read every job into this process, where one aggregate query over
// River's (state, …) index answers it; and the report must answer on an
// instance whose queue client is not running (a command, a test). River's
// columns are its migrations' (`bazaar migrate` runs them, pinned with the
// River version in go.mod); the health tests run these queries against the
// real migrated tables, so an upgrade that changed them fails there first.

// QueueHealth is the job queue.
type QueueHealth struct {
	Section
	Totals StateCounts  `json:"totals"`
	ByKind []KindCounts `json:"by_kind"`
	// OldestWaitingSeconds is how long the oldest job ready to run has
	// waited for a worker; null when none waits.
	OldestWaitingSeconds *int64 `json:"oldest_waiting_seconds"`
	// FailedLast24h are the jobs whose latest attempt failed in the last
	// 24 hours: retryable (another attempt is scheduled) or discarded (no
	// attempt left), by kind, with the newest failure's short error.
	FailedLast24h FailedJobs `json:"failed_last_24h"`
}

// StateCounts count jobs by River state. Completed and cancelled jobs are
// not counted (River deletes them after a day).
type StateCounts struct {
	Available int `json:"available"` // ready to run, waiting for a worker
	Running   int `json:"running"`
	Retryable int `json:"retryable"` // failed, another attempt scheduled
	Scheduled int `json:"scheduled"` // to run later (a snoozed import, a retry's backoff)
	Discarded int `json:"discarded"` // failed with no attempt left (River keeps them a week)
}

// KindCounts are one kind of job's counts.
type KindCounts struct {
	Kind string `json:"kind"`
	StateCounts
}

// FailedJobs are the jobs that failed in the last 24 hours.
type FailedJobs struct {
	Total  int          `json:"total"`
	ByKind []FailedKind `json:"by_kind"`
}

// FailedKind is one kind of job's failures in the last 24 hours.
type FailedKind struct {
	Kind      string    `json:"kind"`
	Retryable int       `json:"retryable"`
	Discarded int       `json:"discarded"`
	LastAt    time.Time `json:"last_at"`
	LastJobID int64     `json:"last_job_id"` // river_job's id, to find the whole error
	LastError string    `json:"last_error"`  // its first line, cut short, never SQL or a stack trace
}

// queueStates are the states counted, in StateCounts' order.
var queueStates = []string{"available", "running", "retryable", "scheduled", "discarded"}

func (c *StateCounts) add(state string, n int) {
	switch state {
	case "available":
		c.Available += n
	case "running":
		c.Running += n
	case "retryable":
		c.Retryable += n
	case "scheduled":
		c.Scheduled += n
	case "discarded":
		c.Discarded += n
	}
}

func (s *Service) queue(ctx context.Context) QueueHealth {
	q := QueueHealth{ByKind: []KindCounts{}, FailedLast24h: FailedJobs{ByKind: []FailedKind{}}}
	fail := func(err error) QueueHealth {
		if undefinedTable(err) {
			q.Section = Section{Status: Fail, Reason: "the queue's tables are missing: run `bazaar migrate`"}
			return q
		}
		q.Section = s.unreadable(ctx, "queue", err)
		return q
	}
	rows, err := s.db.Platform().QueryContext(ctx, `SELECT state, kind, count(*),
			extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE state = 'available'))::bigint
		FROM `+s.riverJobs+` WHERE state IN ('`+strings.Join(queueStates, "', '")+`')
		GROUP BY state, kind ORDER BY kind, state`)
	if err != nil {
		return fail(err)
	}
	kinds := map[string]int{} // kind → index in ByKind
	for rows.Next() {
		var state, kind string
		var n int
		var waited *int64
		if err := rows.Scan(&state, &kind, &n, &waited); err != nil {
			rows.Close()
			return fail(err)
		}
		i, ok := kinds[kind]
		if !ok {
			i = len(q.ByKind)
			kinds[kind] = i
			q.ByKind = append(q.ByKind, KindCounts{Kind: kind})
		}
		q.ByKind[i].add(state, n)
		q.Totals.add(state, n)
		if waited != nil && (q.OldestWaitingSeconds == nil || *waited > *q.OldestWaitingSeconds) {
			w := max(*waited, 0)
			q.OldestWaitingSeconds = &w
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}

	// The newest failure of each kind, with the kind's counts beside it.
	rows, err = s.db.Platform().QueryContext(ctx, `SELECT DISTINCT ON (kind) kind,
			count(*) FILTER (WHERE state = 'retryable') OVER w, count(*) FILTER (WHERE state = 'discarded') OVER w,
			id, at, coalesce(errors[array_upper(errors, 1)]->>'error', '')
		FROM (SELECT *, coalesce(finalized_at, attempted_at) AS at FROM `+s.riverJobs+`
			WHERE state IN ('retryable', 'discarded') AND coalesce(finalized_at, attempted_at) >= now() - interval '24 hours') j
		WINDOW w AS (PARTITION BY kind)
		ORDER BY kind, at DESC, id DESC`)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var f FailedKind
		var msg string
		if err := rows.Scan(&f.Kind, &f.Retryable, &f.Discarded, &f.LastJobID, &f.LastAt, &msg); err != nil {
			return fail(err)
		}
		f.LastError = shortError(msg, f.LastJobID)
		q.FailedLast24h.ByKind = append(q.FailedLast24h.ByKind, f)
		q.FailedLast24h.Total += f.Retryable + f.Discarded
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}

	var j judge
	if q.OldestWaitingSeconds != nil {
		waited := time.Duration(*q.OldestWaitingSeconds) * time.Second
		switch {
		case waited > queueWaitFail:
			j.add(Fail, "the oldest job ready to run has waited %s: no instance seems to work the queue", human(waited))
		case waited > queueWaitWarn:
			j.add(Warn, "the oldest job ready to run has waited %s", human(waited))
		}
	}
	if n := q.FailedLast24h.Total; n > 0 {
		j.add(Warn, "%s failed in the last 24 hours", count(n, "job", "jobs"))
	}
	q.Section = j.section()
	return q
}

// maxErrorText bounds an error's text in the report.
const maxErrorText = 200

// databaseWords are what the text of an error the database (or its driver)
// raised holds: its words may quote SQL, a schema, a role or a connection
// string, so the report never shows them.
var databaseWords = regexp.MustCompile(`(?i)\bpq: |\bsql: |sqlstate|postgres(ql)?://|\b(password|host|user|dbname|sslmode)=|` +
	`\b(select|insert|update|delete|alter|create|drop|truncate)\b.*\b(from|into|table|set|where|schema|role)\b`)

// userinfo is the credentials part of a URL.
var userinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/@]+@`)

// shortError is a job's error as the report shows it: its first line (River
// keeps a panic's stack trace apart, in the attempt's trace, which is never
// read), credentials in URLs removed, cut to maxErrorText bytes — or, when
// it holds the database's words, only where to find it.
func shortError(msg string, jobID int64) string {
	msg, _, _ = strings.Cut(strings.TrimSpace(msg), "\n")
	msg = strings.TrimSpace(msg)
	if databaseWords.MatchString(msg) {
		return "a database error (job " + strconv.FormatInt(jobID, 10) + "'s record in the queue holds the whole text)"
	}
	return cut(userinfo.ReplaceAllString(msg, "${1}…@"), maxErrorText)
}

// cut shortens s to at most n bytes on a character boundary, marking the
// cut with "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
