package marketplace

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/bazaar/bazaar/ent/tenant"
)

// Only what a retry may fix is retried: the database unreachable, restarting
// or in a transient conflict — not data it refuses, nor a fault of ours.
func TestClassify(t *testing.T) {
	j := &tenant.ImportJob{ID: 7, Attempts: 2, MaxAttempts: 5}
	for _, tt := range []struct {
		name      string
		err       error
		transient bool
	}{
		{"AdminShutdown", &pq.Error{Code: "57P01"}, true},
		{"CannotConnectNow", fmt.Errorf("stage: %w", &pq.Error{Code: "57P03"}), true},
		{"ConnectionFailure", &pq.Error{Code: "08006"}, true},
		{"Deadlock", &pq.Error{Code: "40P01"}, true},
		{"TooManyConnections", &pq.Error{Code: "53300"}, true},
		{"BadConnection", driver.ErrBadConn, true},
		{"InvalidByteSequence", &pq.Error{Code: "22021"}, false},
		{"UntranslatableCharacter", &pq.Error{Code: "22P05"}, false},
		{"CheckViolation", &pq.Error{Code: "23514"}, false},
		{"UndefinedTable", &pq.Error{Code: "42P01"}, false},
		{"Bug", errors.New("index out of range"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := classify(context.Background(), j, tt.err)
			if f.transient != tt.transient || f.stopping || f.reason == "" {
				t.Errorf("%v: %+v", tt.err, f)
			}
		})
	}
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	if f := classify(stopped, j, context.Canceled); !f.stopping {
		t.Errorf("a stopped worker: %+v", f)
	}
	late, cancel := context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	if f := classify(late, j, context.DeadlineExceeded); f.transient || f.stopping {
		t.Errorf("past the job's time limit: %+v", f)
	}
}

func TestBackoff(t *testing.T) {
	s := &Service{o: Options{BackoffBase: 30 * time.Second, BackoffMax: 10 * time.Minute}}
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 5: 8 * time.Minute, 6: 10 * time.Minute, 60: 10 * time.Minute} {
		if got := s.backoff(n); got != want {
			t.Errorf("after attempt %d: %s, want %s", n, got, want)
		}
	}
}
