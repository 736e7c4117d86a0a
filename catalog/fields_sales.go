package catalog

import "github.com/crmd/crmd"

// Picklist values shared by several modules. The field helpers copy them, so they are never handed out.
var (
	salutations = []string{"-None-", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."}

	leadSources = []string{
		"-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
		"X (Twitter)", "Facebook", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner",
		"Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat",
	}

	leadStatuses = []string{
		"-None-", "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead",
		"Not Contacted", "Pre-Qualified", "Not Qualified",
	}

	industries = []string{
		"-None-", "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
		"Government/Military", "Large Enterprise", "ManagementISV", "MSP (Management Service Provider)",
		"Network Equipment Enterprise", "Non-management ISV", "Optical Networking", "Service Provider",
		"Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider", "Systems Integrator",
		"Wireless Industry", "Communications", "Consulting", "Education", "Financial Services", "Government",
		"Health Care", "Manufacturing", "Real Estate", "Retail", "Technology", "Transportation",
	}

	ratings = []string{"-None-", "Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"}

	dealStages = []string{
		"Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
		"Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost", "Closed Lost to Competition",
	}
)

func leads() *crmd.Module {
	return newModule("Leads", "Leads", "Lead", "Leads", "Full_Name", concat(
		list(
			picklist("Salutation", "Salutation", salutations),
			textLen("First_Name", "First Name", 40),
			required(textLen("Last_Name", "Last Name", 80)),
			readOnly(text("Full_Name", "Lead Name")),
			textLen("Company", "Company", 200),
			textLen("Title", "Title", 100),
			email("Email", "Email"),
			email("Secondary_Email", "Secondary Email"),
			phone("Phone", "Phone"),
			phone("Mobile", "Mobile"),
			phone("Fax", "Fax"),
			website("Website", "Website"),
			picklist("Lead_Source", "Lead Source", leadSources),
			picklist("Lead_Status", "Lead Status", leadStatuses),
			picklist("Industry", "Industry", industries),
			integer("No_of_Employees", "No. of Employees"),
			currency("Annual_Revenue", "Annual Revenue"),
			picklist("Rating", "Rating", ratings),
			boolean("Email_Opt_Out", "Email Opt Out"),
			textLen("Skype_ID", "Skype ID", 50),
			textLen("Twitter", "Twitter", 50),
		),
		address("", "", "Zip_Code", "Zip Code"),
		list(textarea("Description", "Description")),
	)...)
}

func accounts() *crmd.Module {
	return newModule("Accounts", "Accounts", "Account", "Accounts", "Account_Name", concat(
		list(
			required(textLen("Account_Name", "Account Name", 200)),
			textLen("Account_Site", "Account Site", 30),
			lookup("Parent_Account", "Parent Account", "Accounts"),
			textLen("Account_Number", "Account Number", 40),
			picklist("Account_Type", "Account Type", []string{
				"-None-", "Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Other",
				"Partner", "Press", "Prospect", "Reseller", "Supplier", "Vendor",
			}),
			picklist("Industry", "Industry", industries),
			currency("Annual_Revenue", "Annual Revenue"),
			integer("Employees", "Employees"),
			picklist("Ownership", "Ownership", []string{
				"-None-", "Other", "Private", "Public", "Subsidiary", "Partnership", "Government",
				"Privately Held", "Public Company",
			}),
			picklist("Rating", "Rating", ratings),
			phone("Phone", "Phone"),
			phone("Fax", "Fax"),
			website("Website", "Website"),
			textLen("Ticker_Symbol", "Ticker Symbol", 30),
			integer("SIC_Code", "SIC Code"),
		),
		address("Billing", "Billing", "Code", "Code"),
		address("Shipping", "Shipping", "Code", "Code"),
		list(textarea("Description", "Description")),
	)...)
}

func contacts() *crmd.Module {
	return newModule("Contacts", "Contacts", "Contact", "Contacts", "Full_Name", concat(
		list(
			picklist("Salutation", "Salutation", salutations),
			textLen("First_Name", "First Name", 40),
			required(textLen("Last_Name", "Last Name", 80)),
			readOnly(text("Full_Name", "Contact Name")),
			lookup("Account_Name", "Account Name", "Accounts"),
			lookup("Vendor_Name", "Vendor Name", "Vendors"),
			email("Email", "Email"),
			email("Secondary_Email", "Secondary Email"),
			textLen("Title", "Title", 100),
			textLen("Department", "Department", 30),
			phone("Phone", "Phone"),
			phone("Home_Phone", "Home Phone"),
			phone("Other_Phone", "Other Phone"),
			phone("Mobile", "Mobile"),
			phone("Fax", "Fax"),
			textLen("Assistant", "Assistant", 30),
			phone("Asst_Phone", "Asst Phone"),
			lookup("Reporting_To", "Reporting To", "Contacts"),
			picklist("Lead_Source", "Lead Source", leadSources),
			date("Date_of_Birth", "Date of Birth"),
			boolean("Email_Opt_Out", "Email Opt Out"),
			textLen("Skype_ID", "Skype ID", 50),
			textLen("Twitter", "Twitter", 50),
		),
		address("Mailing", "Mailing", "Zip", "Zip"),
		address("Other", "Other", "Zip", "Zip"),
		list(textarea("Description", "Description")),
	)...)
}

func deals() *crmd.Module {
	return newModule("Deals", "Potentials", "Deal", "Deals", "Deal_Name",
		required(textLen("Deal_Name", "Deal Name", 120)),
		lookup("Account_Name", "Account Name", "Accounts"),
		lookup("Contact_Name", "Contact Name", "Contacts"),
		currency("Amount", "Amount"),
		required(picklist("Stage", "Stage", dealStages)),
		required(date("Closing_Date", "Closing Date")),
		picklist("Type", "Type", []string{"-None-", "Existing Business", "New Business"}),
		percent("Probability", "Probability (%)"),
		textLen("Next_Step", "Next Step", 100),
		picklist("Lead_Source", "Lead Source", leadSources),
		lookup("Campaign_Source", "Campaign Source", "Campaigns"),
		textarea("Description", "Description"),
	)
}

func campaigns() *crmd.Module {
	return newModule("Campaigns", "Campaigns", "Campaign", "Campaigns", "Campaign_Name",
		required(textLen("Campaign_Name", "Campaign Name", 120)),
		picklist("Type", "Type", []string{
			"-None-", "Conference", "Webinar", "Trade Show", "Public Relations", "Partners", "Referral Program",
			"Advertisement", "Banner Ads", "Direct mail", "Email", "Telemarketing", "Others",
		}),
		picklist("Status", "Status", []string{"-None-", "Planning", "Active", "Inactive", "Complete"}),
		date("Start_Date", "Start Date"),
		date("End_Date", "End Date"),
		currency("Expected_Revenue", "Expected Revenue"),
		currency("Budgeted_Cost", "Budgeted Cost"),
		currency("Actual_Cost", "Actual Cost"),
		integer("Expected_Response", "Expected Response"),
		integer("Num_sent", "Numbers sent"),
		lookup("Parent_Campaign", "Parent Campaign", "Campaigns"),
		textarea("Description", "Description"),
	)
}
