package notify

import (
	"context"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/store"
)

// DeliveryPage is one page of an org's delivery attempts, newest first.
type DeliveryPage struct {
	Attempts []*store.Attempt
	More     bool
}

// Deliveries returns a page (from 1) of the attempts to deliver the caller's org's notifications —
// of one channel, or of all of them with channelID 0 — newest first. A deleted channel's attempts stay
// readable: they say why its last notifications never arrived.
func (s *Service) Deliveries(ctx context.Context, c *crmd.Caller, channelID int64, page, perPage int) (*DeliveryPage, error) {
	rows, err := s.st.Attempts(ctx, store.AttemptQuery{OrgID: c.Org.ID, ChannelID: channelID,
		Offset: (page - 1) * perPage, Limit: perPage + 1})
	if err != nil {
		return nil, err
	}
	p := &DeliveryPage{Attempts: rows, More: len(rows) > perPage}
	if p.More {
		p.Attempts = rows[:perPage]
	}
	return p, nil
}
