package catalog

import "github.com/crmd/crmd"

func cases() *crmd.Module {
	return newModule("Cases", "Cases", "Case", "Cases", "Subject",
		autonumber("Case_Number", "Case Number"),
		required(text("Subject", "Subject")),
		required(picklist("Status", "Status", []string{"New", "On Hold", "Escalated", "Closed"})),
		required(picklist("Case_Origin", "Case Origin", []string{"Email", "Phone", "Web"})),
		picklist("Priority", "Priority", []string{"-None-", "High", "Medium", "Low"}),
		picklist("Type", "Type", []string{"-None-", "Question", "Problem", "Feature Request"}),
		picklist("Case_Reason", "Case Reason", []string{
			"-None-", "User did not attend any training", "Complex functionality", "Existing problem",
			"Instructions not clear", "New problem",
		}),
		lookup("Product_Name", "Product Name", "Products"),
		lookup("Account_Name", "Account Name", "Accounts"),
		lookup("Deal_Name", "Deal Name", "Deals"),
		lookup("Related_To", "Contact Name", "Contacts"),
		textLen("Reported_By", "Reported By", 120),
		email("Email", "Email"),
		phone("Phone", "Phone"),
		textarea("Description", "Description"),
		textarea("Internal_Comments", "Internal Comments"),
		textarea("Solution", "Solution"),
	)
}

func solutions() *crmd.Module {
	return newModule("Solutions", "Solutions", "Solution", "Solutions", "Solution_Title",
		autonumber("Solution_Number", "Solution Number"),
		required(text("Solution_Title", "Solution Title")),
		picklist("Status", "Status", []string{"-None-", "Draft", "Reviewed", "Published"}),
		lookup("Product_Name", "Product Name", "Products"),
		boolean("Published", "Published"),
		textarea("Question", "Question"),
		textarea("Answer", "Answer"),
	)
}

func services() *crmd.Module {
	m := newModule("Services__s", "Services", "Service", "Services", "Name",
		required(textLen("Name", "Service Name", 120)),
		currency("Price", "Price"),
		integer("Duration", "Duration (mins)"),
		picklist("Location", "Location", []string{"Business Address", "Customer Address", "Online"}),
		picklist("Status", "Status", []string{"Active", "Inactive"}),
		boolean("Taxable", "Taxable"),
		textarea("Description", "Description"),
	)
	m.MinVersion = 30
	return m
}
