package seed

import "strings"

// The word lists `crmd seed` draws realistic values from. They are combined at random, so a few
// dozen entries each give millions of distinct people and companies.

var firstNames = strings.Fields(`James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret
Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian
Dorothy George Melissa Timothy Deborah Ronald Stephanie Jason Rebecca Edward Sharon Jeffrey Laura Ryan Cynthia Jacob
Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Brenda Stephen Emma Larry Anna Justin Pamela Scott Nicole
Brandon Samantha Benjamin Katherine Samuel Christine Gregory Helen Alexander Debra Patrick Rachel Frank Carolyn
Raymond Janet Jack Maria Dennis Olivia Jerry Heather Tyler Diane Aaron Julie Jose Joyce Adam Victoria Nathan Ruth
Henry Virginia Zachary Lauren Douglas Kelly Peter Christina Kyle Joan Noah Evelyn Ethan Judith Jeremy Andrea Walter
Hannah Christian Megan Keith Cheryl Roger Jacqueline Terry Martha Austin Madison Sean Teresa Gerald Gloria Carl Sara
Harold Janice Dylan Ann Arthur Kathryn Lawrence Abigail Jordan Sophia Jesse Frances Bryan Jean Billy Alice Bruce
Judy Gabriel Isabella Joe Julia Logan Grace Alan Amber Juan Denise Albert Danielle Willie Marilyn Elijah Beverly
Wayne Charlotte Randy Natalie Vincent Theresa Mason Diana Roy Brittany Ralph Doris Bobby Kayla Russell Alexis Louis
Priya Arjun Wei Mei Hiroshi Yuki Carlos Sofia Lucas Ingrid Lars Fatima Omar Aisha Mateo Chloe Rahul Ananya`)

var lastNames = strings.Fields(`Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez
Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris
Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel
Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales
Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole
Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez
McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson
Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd
Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan
Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott
Sharma Gupta Tanaka Suzuki Wang Zhang Liu Yamamoto Muller Schneider Rossi Bianchi Dubois Laurent Novak Kowalski`)

var companyStems = strings.Fields(`Acme Globex Initech Umbrella Stark Wayne Wonka Hooli Vandelay Soylent Cyberdyne Tyrell
Aperture Massive Dynamic Gringotts Oscorp Virtucon Nakatomi Pied Piper Blue Sky Northwind Contoso Fabrikam Litware
Adventure Tailspin Proseware Woodgrove Lucerne Margie Coho Alpine Trey Fourth Humongous Wingtip Bellows Benchmark
Cascade Summit Pinnacle Horizon Evergreen Redwood Granite Silverline Bluewater Ironclad Brightpath Clearview Keystone
Lighthouse Meridian Northstar Oakridge Pioneer Quantum Riverbend Sterling Sunrise Trident Unity Vertex Westfield
Zenith Apex Beacon Catalyst Delta Echo Falcon Gemini Harbor Insight Juniper Kinetic Lumen Mosaic Nimbus Orion
Paragon Quasar Radiant Sapphire Titan Vanguard Willow Yellowstone Atlas Boreal Cobalt Dynamo Ember Fusion Helix`)

var companySuffixes = []string{"Inc", "LLC", "Corp", "Ltd", "Group", "Systems", "Technologies", "Solutions",
	"Industries", "Partners", "Labs", "Holdings", "Logistics", "Consulting", "Networks", "Software"}

var jobTitles = []string{"CEO", "CTO", "CFO", "COO", "VP Sales", "VP Marketing", "VP Engineering",
	"Director of Operations", "Head of Procurement", "IT Manager", "Sales Manager", "Marketing Manager",
	"Product Manager", "Purchasing Manager", "Operations Manager", "Account Executive", "Office Manager",
	"Software Engineer", "Business Analyst", "Project Manager", "Owner", "Founder", "Consultant",
	"Chief Revenue Officer", "Head of Customer Success", "Procurement Specialist", "Finance Director"}

// place is a city with its state or region and its country.
type place struct{ city, state, country, zip string }

var places = []place{
	{"New York", "NY", "United States", "100"}, {"Los Angeles", "CA", "United States", "900"},
	{"Chicago", "IL", "United States", "606"}, {"Houston", "TX", "United States", "770"},
	{"Phoenix", "AZ", "United States", "850"}, {"Philadelphia", "PA", "United States", "191"},
	{"San Antonio", "TX", "United States", "782"}, {"San Diego", "CA", "United States", "921"},
	{"Dallas", "TX", "United States", "752"}, {"Austin", "TX", "United States", "787"},
	{"Seattle", "WA", "United States", "981"}, {"Denver", "CO", "United States", "802"},
	{"Boston", "MA", "United States", "021"}, {"Atlanta", "GA", "United States", "303"},
	{"Miami", "FL", "United States", "331"}, {"Portland", "OR", "United States", "972"},
	{"San Francisco", "CA", "United States", "941"}, {"Minneapolis", "MN", "United States", "554"},
	{"Toronto", "Ontario", "Canada", "M5V"}, {"Vancouver", "British Columbia", "Canada", "V6B"},
	{"Montreal", "Quebec", "Canada", "H2Y"}, {"London", "England", "United Kingdom", "EC1"},
	{"Manchester", "England", "United Kingdom", "M1 "}, {"Edinburgh", "Scotland", "United Kingdom", "EH1"},
	{"Dublin", "Leinster", "Ireland", "D02"}, {"Berlin", "Berlin", "Germany", "101"},
	{"Munich", "Bavaria", "Germany", "803"}, {"Hamburg", "Hamburg", "Germany", "203"},
	{"Paris", "Ile-de-France", "France", "750"}, {"Lyon", "Auvergne-Rhone-Alpes", "France", "690"},
	{"Amsterdam", "North Holland", "Netherlands", "101"}, {"Madrid", "Madrid", "Spain", "280"},
	{"Barcelona", "Catalonia", "Spain", "080"}, {"Milan", "Lombardy", "Italy", "201"},
	{"Stockholm", "Stockholm", "Sweden", "111"}, {"Zurich", "Zurich", "Switzerland", "800"},
	{"Sydney", "NSW", "Australia", "200"}, {"Melbourne", "VIC", "Australia", "300"},
	{"Auckland", "Auckland", "New Zealand", "101"}, {"Singapore", "Singapore", "Singapore", "018"},
	{"Tokyo", "Tokyo", "Japan", "100"}, {"Bengaluru", "Karnataka", "India", "560"},
	{"Mumbai", "Maharashtra", "India", "400"}, {"Chennai", "Tamil Nadu", "India", "600"},
	{"Sao Paulo", "SP", "Brazil", "010"}, {"Mexico City", "CDMX", "Mexico", "060"},
	{"Cape Town", "Western Cape", "South Africa", "800"}, {"Dubai", "Dubai", "United Arab Emirates", "000"},
}

var streetNames = strings.Fields(`Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Walnut Sunset Lincoln Jackson
Church River Highland Spring Market Mill Forest Meadow Ridge Valley Harbor Bridge Station Union Franklin Madison`)

var streetKinds = []string{"Street", "Avenue", "Road", "Boulevard", "Lane", "Drive", "Way", "Court", "Place"}

var products = []string{"CRM suite", "analytics platform", "cloud storage", "payroll service", "help desk",
	"inventory system", "e-commerce platform", "marketing automation", "field service app", "data warehouse",
	"security audit", "network upgrade", "ERP integration", "mobile app", "support contract", "training package"}

var departments = []string{"sales", "marketing", "finance", "operations", "support", "engineering", "HR",
	"procurement", "logistics", "IT"}

var events = []string{"trade show", "webinar", "product demo", "discovery call", "pricing review",
	"quarterly planning", "budget approval", "pilot project", "security review", "board meeting"}

var topics = []string{"pricing", "the rollout timeline", "data migration", "integrations", "volume discounts",
	"onboarding", "contract terms", "support levels", "a proof of concept", "renewal options"}

var freeMail = []string{"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me"}

var words = strings.Fields(`alpha bright core delta eager fast global harbor insight jade keen lunar micro nova
orbit prime quick rapid solid terra ultra vivid wide xeno young zeal aurora beacon cedar dawn ember frost grove
haven iris jet karma lotus maple nexus onyx pulse quartz river sage tide umber vista willow summit falcon`)

// company is a generated company name with its web domain.
type company struct{ name, domain string }

// companies is every stem × suffix combination, with its domain precomputed.
var companies = func() []company {
	var out []company
	for _, stem := range companyStems {
		for _, suf := range companySuffixes {
			out = append(out, company{name: stem + " " + suf, domain: strings.ToLower(stem+suf) + ".com"})
		}
	}
	return out
}()

// lower returns lower-cased copies of names, for email addresses.
func lower(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(n)
	}
	return out
}

var (
	firstLower = lower(firstNames)
	lastLower  = lower(lastNames)
)
