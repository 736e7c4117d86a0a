package catalog

import "github.com/crmd/crmd"

var (
	carriers = []string{"-None-", "FedEX", "UPS", "USPS", "DHL", "BlueDart"}

	orderStatuses = []string{"Created", "Approved", "Delivered", "Cancelled"}
)

// billingShipping is the address block of Quotes, Sales Orders, Purchase Orders and Invoices.
func billingShipping() []*crmd.Field {
	return concat(
		address("Billing", "Billing", "Code", "Code"),
		address("Shipping", "Shipping", "Code", "Code"),
	)
}

func products() *crmd.Module {
	return newModule("Products", "Products", "Product", "Products", "Product_Name",
		required(textLen("Product_Name", "Product Name", 120)),
		textLen("Product_Code", "Product Code", 40),
		boolean("Product_Active", "Product Active"),
		picklist("Product_Category", "Product Category", []string{"-None-", "Hardware", "Software", "CRM Applications"}),
		picklist("Manufacturer", "Manufacturer", []string{"-None-", "AltvetPet Inc.", "LexPon Inc.", "MetBeat Corp."}),
		lookup("Vendor_Name", "Vendor Name", "Vendors"),
		currency("Unit_Price", "Unit Price"),
		currency("Commission_Rate", "Commission Rate"),
		multiselect("Tax", "Tax", []string{"Sales Tax", "Vat", "Service Tax"}),
		boolean("Taxable", "Taxable"),
		picklist("Usage_Unit", "Usage Unit", []string{
			"-None-", "Box", "Carton", "Dozen", "Each", "Hour(s)", "Impressions", "Lb", "M", "Pack", "Pages",
			"Pieces", "Quantity", "Reams", "Sheet", "Spiral Binder", "Sq Ft",
		}),
		double("Qty_in_Stock", "Qty in Stock"),
		double("Reorder_Level", "Reorder Level"),
		date("Sales_Start_Date", "Sales Start Date"),
		date("Sales_End_Date", "Sales End Date"),
		textarea("Description", "Description"),
	)
}

func vendors() *crmd.Module {
	return newModule("Vendors", "Vendors", "Vendor", "Vendors", "Vendor_Name", concat(
		list(
			required(textLen("Vendor_Name", "Vendor Name", 120)),
			email("Email", "Email"),
			phone("Phone", "Phone"),
			website("Website", "Website"),
			picklist("GL_Account", "GL Account", []string{
				"-None-", "Sales-Software", "Sales-Hardware", "Rental-Income", "Interest-Income",
				"Sales Software Support", "Sales Other", "Interest Sales", "Service-Hardware Labor",
			}),
			textLen("Category", "Category", 100),
		),
		address("", "", "Zip_Code", "Zip Code"),
		list(textarea("Description", "Description")),
	)...)
}

func priceBooks() *crmd.Module {
	return newModule("Price_Books", "PriceBooks", "Price Book", "Price Books", "Price_Book_Name",
		required(textLen("Price_Book_Name", "Price Book Name", 120)),
		boolean("Active", "Active"),
		picklist("Pricing_Model", "Pricing Model", []string{"-None-", "Flat", "Differential"}),
		textarea("Description", "Description"),
	)
}

func quotes() *crmd.Module {
	return newModule("Quotes", "Quotes", "Quote", "Quotes", "Subject", concat(
		list(
			required(text("Subject", "Subject")),
			lookup("Deal_Name", "Deal Name", "Deals"),
			picklist("Quote_Stage", "Quote Stage", []string{
				"Draft", "Negotiation", "Delivered", "On Hold", "Confirmed", "Closed Won", "Closed Lost",
			}),
			date("Valid_Till", "Valid Till"),
			lookup("Contact_Name", "Contact Name", "Contacts"),
			required(lookup("Account_Name", "Account Name", "Accounts")),
			textLen("Team", "Team", 100),
			picklist("Carrier", "Carrier", carriers),
		),
		billingShipping(),
		list(
			textarea("Terms_and_Conditions", "Terms and Conditions"),
			textarea("Description", "Description"),
		),
	)...)
}

func salesOrders() *crmd.Module {
	return newModule("Sales_Orders", "SalesOrders", "Sales Order", "Sales Orders", "Subject", concat(
		list(
			required(text("Subject", "Subject")),
			textLen("Customer_No", "Customer No", 100),
			lookup("Deal_Name", "Deal Name", "Deals"),
			lookup("Quote_Name", "Quote Name", "Quotes"),
			textLen("Purchase_Order", "Purchase Order", 100),
			date("Due_Date", "Due Date"),
			lookup("Contact_Name", "Contact Name", "Contacts"),
			required(lookup("Account_Name", "Account Name", "Accounts")),
			picklist("Status", "Status", orderStatuses),
			picklist("Carrier", "Carrier", carriers),
			currency("Excise_Duty", "Excise Duty"),
			currency("Sales_Commission", "Sales Commission"),
		),
		billingShipping(),
		list(
			textarea("Terms_and_Conditions", "Terms and Conditions"),
			textarea("Description", "Description"),
		),
	)...)
}

func purchaseOrders() *crmd.Module {
	return newModule("Purchase_Orders", "PurchaseOrders", "Purchase Order", "Purchase Orders", "Subject", concat(
		list(
			required(text("Subject", "Subject")),
			required(lookup("Vendor_Name", "Vendor Name", "Vendors")),
			textLen("PO_Number", "PO Number", 100),
			textLen("Requisition_No", "Requisition No", 100),
			textLen("Tracking_Number", "Tracking Number", 100),
			date("PO_Date", "PO Date"),
			date("Due_Date", "Due Date"),
			lookup("Contact_Name", "Contact Name", "Contacts"),
			picklist("Status", "Status", orderStatuses),
			picklist("Carrier", "Carrier", carriers),
			currency("Excise_Duty", "Excise Duty"),
			currency("Sales_Commission", "Sales Commission"),
		),
		billingShipping(),
		list(
			textarea("Terms_and_Conditions", "Terms and Conditions"),
			textarea("Description", "Description"),
		),
	)...)
}

func invoices() *crmd.Module {
	return newModule("Invoices", "Invoices", "Invoice", "Invoices", "Subject", concat(
		list(
			required(text("Subject", "Subject")),
			lookup("Sales_Order", "Sales Order", "Sales_Orders"),
			date("Invoice_Date", "Invoice Date"),
			date("Due_Date", "Due Date"),
			textLen("Purchase_Order", "Purchase Order", 100),
			picklist("Status", "Status", orderStatuses),
			lookup("Deal_Name", "Deal Name", "Deals"),
			lookup("Contact_Name", "Contact Name", "Contacts"),
			required(lookup("Account_Name", "Account Name", "Accounts")),
			currency("Excise_Duty", "Excise Duty"),
			currency("Sales_Commission", "Sales Commission"),
		),
		billingShipping(),
		list(
			textarea("Terms_and_Conditions", "Terms and Conditions"),
			textarea("Description", "Description"),
		),
	)...)
}
