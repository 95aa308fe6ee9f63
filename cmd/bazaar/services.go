package main

import (
	"runtime"

	"github.com/bazaar/bazaar"
	"github.com/bazaar/bazaar/internal/authz"
	"github.com/bazaar/bazaar/internal/identity"
	"github.com/bazaar/bazaar/internal/mail"
	"github.com/bazaar/bazaar/internal/team"
)

// services are the domain services built from the configuration.
type services struct {
	identity *identity.Service
	authz    *authz.Authorizer
	team     *team.Service
}

func (a *app) services() (*services, error) {
	c := a.cfg.Auth
	pairs, err := c.Keys()
	if err != nil {
		return nil, err
	}
	keys := make([]identity.Key, len(pairs))
	for i, p := range pairs {
		keys[i] = identity.Key{ID: p[0], Secret: []byte(p[1])}
	}
	id, err := identity.New(a.db, identity.Options{
		Issuer: c.Issuer, Keys: keys,
		AccessTTL: c.AccessTTL, RefreshTTL: c.RefreshTTL, SessionTTL: c.SessionTTL, ResetTTL: c.ResetTTL,
		KDF: identity.KDF{
			Time: uint32(c.Argon2Time), MemoryKiB: uint32(c.Argon2MemoryKiB), Threads: uint8(c.Argon2Threads),
			Concurrency: min(c.Argon2Concurrency, 4*runtime.NumCPU()),
			QueueWait:   c.Argon2QueueWait,
		},
		Throttle: identity.ThrottleOptions{
			IPAttempts: c.LoginIPAttempts, IPWindow: c.LoginIPWindow,
			AccountFailures: c.LoginAccountFailures, AccountWindow: c.LoginAccountWindow,
			BackoffBase: c.LoginBackoffBase, BackoffMax: c.LoginBackoffMax,
		},
	}, a.log)
	if err != nil {
		return nil, err
	}
	az, err := authz.New(a.db, bazaar.CasbinModel, authz.Options{CacheSize: c.CacheSize}, a.log)
	if err != nil {
		return nil, err
	}
	return &services{
		identity: id,
		authz:    az,
		team:     team.New(a.db, id.Hasher(), az, team.Options{InviteTTL: c.InviteTTL}, a.log),
	}, nil
}

func (a *app) mailSender() (*mail.Sender, error) {
	m := a.cfg.Mail
	return mail.NewSender(a.db, mail.Options{
		Driver: m.Driver, Host: m.SMTPHost, Port: m.SMTPPort, Username: m.SMTPUsername, Password: m.SMTPPassword,
		TLS: m.SMTPTLS, From: m.From, Timeout: m.Timeout, PollInterval: m.PollInterval,
		MaxAttempts: m.MaxAttempts, BackoffBase: m.BackoffBase, BackoffMax: m.BackoffMax,
	}, a.log)
}
