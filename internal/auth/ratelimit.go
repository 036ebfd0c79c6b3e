package auth

import (
	"sync"
	"time"
)

// sweepAbove is the number of tracked keys above which a failure triggers a
// sweep of every key whose failures have all left the window.
const sweepAbove = 10000

// maxLimiterKey bounds the part of a username or address used as a key.
const maxLimiterKey = 128

// limiter counts failed logins per username and per client address in a sliding
// window. It lives in memory and belongs to one Service, so its counts are per
// process: behind a load balancer each instance counts on its own, which
// multiplies the allowance by the number of instances but still stops guessing at
// speed.
type limiter struct {
	perUser, perIP int
	window         time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time // oldest first, at most the key's limit
}

func newLimiter(perUser, perIP int, window time.Duration) *limiter {
	perUser, perIP = max(perUser, 1), max(perIP, 1)
	return &limiter{perUser: perUser, perIP: perIP, window: window, failures: map[string][]time.Time{}}
}

func userKey(username string) string { return "u:" + clip(username) }
func ipKey(ip string) string         { return "ip:" + clip(ip) }

func clip(s string) string {
	if len(s) > maxLimiterKey {
		return s[:maxLimiterKey]
	}
	return s
}

// recent returns the failures of key still inside the window at now, dropping
// older ones. The caller holds mu.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	ts := l.failures[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = ts
	return ts
}

// allowed reports whether a login for username from ip may be tried at now: the
// username has fewer than perUser and the address fewer than perIP failures in
// the window.
func (l *limiter) allowed(username, ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recent(userKey(username), now)) >= l.perUser {
		return false
	}
	if ip != "" && len(l.recent(ipKey(ip), now)) >= l.perIP {
		return false
	}
	return true
}

// fail records a failed login for username from ip at now.
func (l *limiter) fail(username, ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.add(userKey(username), l.perUser, now)
	if ip != "" {
		l.add(ipKey(ip), l.perIP, now)
	}
	if len(l.failures) > sweepAbove {
		for k := range l.failures {
			l.recent(k, now)
		}
	}
}

func (l *limiter) add(key string, limit int, now time.Time) {
	ts := append(l.recent(key, now), now)
	if len(ts) > limit {
		ts = ts[len(ts)-limit:]
	}
	l.failures[key] = ts
}

// succeed forgets the failures of username after a successful login. Those of
// the address stay, so one valid account cannot reset an address that guesses
// at others.
func (l *limiter) succeed(username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, userKey(username))
}
