package tenantdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Listener fans PostgreSQL notifications out to in-memory caches over one
// LISTEN session per instance. Caches (the tenant resolver, the authorizer,
// the session cache) subscribe to a channel each; a change is announced with
// NOTIFY in the transaction that makes it, so it reaches every instance at
// commit and never on rollback. When the session drops, notifications sent
// meanwhile are lost, so every subscriber is told to forget everything.
type Listener struct {
	url string
	log *slog.Logger

	mu     sync.Mutex
	subs   map[string][]Subscriber
	pq     *pq.Listener
	done   chan struct{}
	closed bool
}

// Subscriber receives one channel's notifications.
type Subscriber struct {
	Notify func(payload string) // a change was announced
	Reset  func()               // notifications may have been lost: drop everything
}

// NewListener returns a Listener on the database's listen URL. Subscribe,
// then Start.
func (db *DB) NewListener() *Listener {
	return &Listener{url: db.ListenURL(), log: db.log, subs: map[string][]Subscriber{}}
}

// Subscribe adds s to channel. Call it before Start.
func (l *Listener) Subscribe(channel string, s Subscriber) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.subs[channel] = append(l.subs[channel], s)
}

// Start opens the LISTEN session and returns once every channel is listened
// to, so changes committed after Start returns are never missed. Subscribers
// are reset once then, since anything cached before may already be stale.
func (l *Listener) Start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pq != nil || l.closed {
		return errors.New("tenantdb: listener already started")
	}
	pl := pq.NewListener(l.url, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnectionAttemptFailed:
			l.log.Warn("change listener: connection failed", "err", err)
		case pq.ListenerEventDisconnected:
			l.log.Warn("change listener: disconnected", "err", err)
		}
	})
	ready := make(chan error, 1)
	go func() {
		for ch := range l.subs {
			if err := pl.Listen(ch); err != nil {
				ready <- fmt.Errorf("tenantdb: listen %s: %w", ch, err)
				return
			}
		}
		ready <- nil
	}()
	select {
	case err := <-ready:
		if err != nil {
			pl.Close()
			return err
		}
	case <-ctx.Done():
		pl.Close()
		return ctx.Err()
	}
	l.pq = pl
	l.done = make(chan struct{})
	l.resetAll()
	go l.follow(pl, l.done)
	return nil
}

func (l *Listener) follow(pl *pq.Listener, done chan struct{}) {
	ping := time.NewTicker(90 * time.Second)
	defer ping.Stop()
	for {
		select {
		case n, ok := <-pl.Notify:
			if !ok {
				return
			}
			if n == nil { // the session was re-established
				l.mu.Lock()
				l.resetAll()
				l.mu.Unlock()
				continue
			}
			l.mu.Lock()
			subs := l.subs[n.Channel]
			l.mu.Unlock()
			for _, s := range subs {
				s.Notify(n.Extra)
			}
		case <-ping.C:
			go pl.Ping() //nolint:errcheck // a failed ping triggers the reconnect logic
		case <-done:
			return
		}
	}
}

// resetAll tells every subscriber to forget; l.mu is held.
func (l *Listener) resetAll() {
	for _, subs := range l.subs {
		for _, s := range subs {
			s.Reset()
		}
	}
}

// Close ends the LISTEN session. It is safe to call whether or not Start
// succeeded.
func (l *Listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.pq == nil {
		return nil
	}
	close(l.done)
	err := l.pq.Close()
	l.pq = nil
	return err
}
