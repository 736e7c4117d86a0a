package catalog

import "github.com/crmd/crmd"

var priorities = []string{"High", "Highest", "Low", "Lowest", "Normal"}

func tasks() *crmd.Module {
	return newModule("Tasks", "Tasks", "Task", "Tasks", "Subject",
		required(text("Subject", "Subject")),
		date("Due_Date", "Due Date"),
		lookup("Who_Id", "Contact Name", "Contacts"),
		picklist("Status", "Status", []string{
			"Not Started", "Deferred", "In Progress", "Completed", "Waiting for input",
		}),
		picklist("Priority", "Priority", priorities),
		boolean("Send_Notification_Email", "Send Notification Email"),
		textarea("Description", "Description"),
	)
}

func events() *crmd.Module {
	return newModule("Events", "Events", "Meeting", "Meetings", "Event_Title",
		required(text("Event_Title", "Title")),
		text("Venue", "Location"),
		boolean("All_day", "All day"),
		required(datetime("Start_DateTime", "From")),
		required(datetime("End_DateTime", "To")),
		lookup("Who_Id", "Contact Name", "Contacts"),
		textarea("Description", "Description"),
	)
}

func calls() *crmd.Module {
	return newModule("Calls", "Calls", "Call", "Calls", "Subject",
		required(text("Subject", "Subject")),
		required(picklist("Call_Type", "Call Type", []string{"Outbound", "Inbound", "Missed"})),
		picklist("Call_Purpose", "Call Purpose", []string{
			"-None-", "Prospecting", "Administrative", "Negotiation", "Demo", "Project", "Desk",
		}),
		lookup("Who_Id", "Contact Name", "Contacts"),
		required(datetime("Call_Start_Time", "Call Start Time")),
		textLen("Call_Duration", "Call Duration", 10),
		text("Call_Agenda", "Call Agenda"),
		picklist("Call_Result", "Call Result", []string{
			"-None-", "Interested", "Not interested", "No response/Busy", "Requested more info",
			"Requested call back", "Invalid number",
		}),
		textarea("Description", "Description"),
	)
}

func appointments() *crmd.Module {
	m := newModule("Appointments__s", "Appointments", "Appointment", "Appointments", "Appointment_Name",
		required(text("Appointment_Name", "Appointment Name")),
		lookup("Service_Name", "Service Name", "Services__s"),
		required(datetime("Appointment_Start_Time", "Appointment Start Time")),
		datetime("Appointment_End_Time", "Appointment End Time"),
		integer("Duration", "Duration (mins)"),
		picklist("Status", "Status", []string{"Scheduled", "Rescheduled", "Completed", "Cancelled", "Overdue"}),
		picklist("Location", "Location", []string{"Business Address", "Customer Address", "Online"}),
		textarea("Address", "Address"),
		textarea("Remarks", "Remarks"),
		textarea("Description", "Description"),
	)
	m.MinVersion = 30
	return m
}

// notes follows Zoho in making the content, not the title, mandatory; the title is still what a note shows
// as its name. Notes cannot be mass deleted.
func notes() *crmd.Module {
	m := newModule("Notes", "Notes", "Note", "Notes", "Note_Title",
		textLen("Note_Title", "Note Title", 120),
		required(textarea("Note_Content", "Note Content")),
	)
	m.MassDeletable = false
	return m
}
