package crmd

import (
	"sync"
	"time"
)

// VirtualClock is a clock that tests can move: it runs at the speed of the real clock, shifted by an
// offset that Set and Advance change. crmd's store tells time by it when the control API is on
// (docs/control.md#clock), so that token expiry, the recycle bin's retention, the Recently
// Created/Modified views and job timestamps can be tested without waiting.
type VirtualClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// NewVirtualClock returns a clock at the real time (offset zero).
func NewVirtualClock() *VirtualClock { return &VirtualClock{} }

// Now is the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Set moves the clock so that it reads t now; it runs on from there.
func (c *VirtualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(t)
}

// Advance moves the clock on by d (back, for a negative d).
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Offset is how far the clock is ahead of the real one.
func (c *VirtualClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}
