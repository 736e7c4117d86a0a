package crmd

// Notification channel events, as a channel's events name them (Module.all|create|edit|delete).
const (
	EventAll    = "all"
	EventCreate = "create"
	EventEdit   = "edit"
	EventDelete = "delete"
)

// Notification operations, as a callback names them: what happened to the records it lists.
const (
	OpInsert = "insert"
	OpUpdate = "update"
	OpDelete = "delete"
)

// Channel is one subscription of Zoho's Notifications API (docs/notifications.md): a subscriber's
// channel, the modules and events it watches, and where its callbacks go.
type Channel struct {
	OrgID     ID
	ChannelID int64 // the subscriber's own number
	NotifyURL string
	Token     string // "" = none
	Expiry    int64  // Unix ms
	// RelatedAction is notify_on_related_action; ReturnValues is return_affected_field_values.
	RelatedAction, ReturnValues bool
	// APIVersion is the version that enabled the channel (20, 21, 30, … 80): its callbacks'
	// resource_uri names it.
	APIVersion   int
	Events       []ChannelEvent
	CreatedBy    ID
	CreatedTime  int64
	ModifiedTime int64
}

// ChannelEvent is one module and event a channel watches.
type ChannelEvent struct {
	ModuleID  ID
	Module    string // the module's API name (read with the channel)
	Operation string // EventAll, EventCreate, EventEdit or EventDelete
	// Condition is the channel's notification_condition for the module (v6+): an edit is notified
	// only when the fields it changed satisfy it. nil = every edit.
	Condition *FieldSelection
}

// FieldSelection is a notification_condition's field_selection: one field, or a group of selections
// joined by Operator ("and": all of them, "or": any of them).
type FieldSelection struct {
	Field    string // a field's API name, for a leaf
	Operator string // "and" or "or", for a group
	Group    []FieldSelection
}

// Matches reports whether an edit that changed the fields changed satisfies the selection.
func (f *FieldSelection) Matches(changed []string) bool {
	if f.Field != "" {
		for _, c := range changed {
			if c == f.Field {
				return true
			}
		}
		return false
	}
	for i := range f.Group {
		m := f.Group[i].Matches(changed)
		if f.Operator == "and" && !m {
			return false
		}
		if f.Operator != "and" && m {
			return true
		}
	}
	return f.Operator == "and" && len(f.Group) > 0
}

// EventOperation is the event that watches op (OpInsert → EventCreate, …).
func EventOperation(op string) string {
	switch op {
	case OpInsert:
		return EventCreate
	case OpUpdate:
		return EventEdit
	}
	return EventDelete
}
