package massdelete

import (
	"context"

	"github.com/crmd/crmd"
	"github.com/crmd/crmd/records"
	"github.com/crmd/crmd/store"
)

// What the real call would answer as a whole (Preview.Outcome).
const (
	OutcomeDelete           = "DELETE"
	OutcomeNothingDeleted   = "NOTHING_DELETED"
	OutcomeSchedule         = "SCHEDULE"
	OutcomeAlreadyScheduled = "ALREADY_SCHEDULED"
	OutcomeLimitExceeded    = "LIMIT_EXCEEDED"
	OutcomeNoRecords        = "NO_RECORDS_FOUND"
)

// previewSample is how many records a preview names.
const previewSample = 10

// Preview is what a mass delete would do now (docs/crmd-api.md): the preview runs the real call's
// checks and reads, and writes nothing.
type Preview struct {
	ByIDs                                 bool
	Total, Deletable, Unapproved, Invalid int64
	Limit                                 int
	Sample                                []store.IDName
	RunningJob                            *crmd.Job // the job holding the lock a cvid call needs; nil when free
	Outcome                               string
	// Verdicts, for ids: one per distinct id in first-given order; Code is "" for a record the call
	// would delete, else the code it would answer for the id.
	Verdicts []Verdict
}

// Verdict is the preview of one id.
type Verdict struct {
	ID   crmd.ID
	Code string
}

// WithinLimit reports whether the selection is within the call's limit.
func (p *Preview) WithinLimit() bool { return p.Total <= int64(p.Limit) }

// PreviewIDs previews DeleteIDs: the same checks, in the same order, and the verdicts of the very
// function the deletion runs (records.Judge), read outside any transaction.
func (s *Service) PreviewIDs(ctx context.Context, c *crmd.Caller, m *crmd.Module, ids []crmd.ID, t *Territory) (*Preview, error) {
	scope, err := s.checkIDs(ctx, c, m, ids, t)
	if err != nil {
		return nil, err
	}
	verdicts, recs, err := records.Judge(ctx, s.st, records.Deletion{OrgID: c.Org.ID, ModuleID: m.ID, IDs: ids, By: c.User.ID, Territory: scope})
	if err != nil {
		return nil, err
	}
	p := &Preview{ByIDs: true, Total: int64(len(ids)), Limit: s.cfg.IDLimit, Outcome: OutcomeNothingDeleted}
	for i, id := range ids {
		v := Verdict{ID: id}
		switch e := verdictErr(verdicts[i], id); {
		case e == nil:
			p.Deletable++
			if len(p.Sample) < previewSample {
				p.Sample = append(p.Sample, store.IDName{ID: id, Name: recs[id].DisplayName})
			}
		case verdicts[i] == records.NotApproved:
			p.Unapproved++
			v.Code = e.Code
		default:
			p.Invalid++
			v.Code = e.Code
		}
		p.Verdicts = append(p.Verdicts, v)
	}
	if p.Deletable > 0 {
		p.Outcome = OutcomeDelete
	}
	return p, nil
}

// PreviewView previews Schedule: the same checks in the same order (profile, edition, view,
// territory), then the lock, the count against the limit, and what the job's batches would do — the
// approved records deleted, the unapproved ones counted as failed (D16).
func (s *Service) PreviewView(ctx context.Context, c *crmd.Caller, m *crmd.Module, cvid crmd.ID, t *Territory) (*Preview, error) {
	filter, err := s.viewSelection(ctx, c, m, cvid, t)
	if err != nil {
		return nil, err
	}
	p := &Preview{Limit: s.cfg.ViewLimit}
	if p.RunningJob, err = s.st.LockHolder(ctx, s.lockKey(c.Org.ID, m, cvid)); err != nil {
		return nil, err
	}
	var unapproved int64
	p.Total, unapproved, p.Sample, err = s.st.SummarizeSelection(ctx, c.Org.ID, m.ID, filter, previewSample)
	if err != nil {
		return nil, err
	}
	p.Unapproved = unapproved
	p.Deletable = p.Total - unapproved
	switch {
	case p.RunningJob != nil:
		p.Outcome = OutcomeAlreadyScheduled
	case p.Total > int64(p.Limit):
		p.Outcome = OutcomeLimitExceeded
	case p.Total == 0:
		p.Outcome = OutcomeNoRecords
	default:
		p.Outcome = OutcomeSchedule
	}
	return p, nil
}
