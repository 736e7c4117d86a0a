// Package coql is Zoho CRM's Object Query Language, the select_query of POST /crm/{version}/coql
// (docs/coql.md): Parse reads a query into a Stmt (syntax only), Check resolves it against a module's
// fields and the modules its lookups point to, and turns WHERE into a criteria tree, so that the
// criteria package's Compile (SQL, for the store) and Eval (in memory) give it one semantics. A condition
// on a field of the record a lookup points to (Account_Name.Account_Name = 'x') becomes a
// criteria.RelatedTo leaf.
//
// # Grammar
//
// Keywords are case-insensitive; api names are matched exactly, else ignoring case, and reported as the
// module spells them.
//
//	query   = select column {"," column} from module [where cond]
//	          [order by name [asc|desc] {"," name [asc|desc]}]
//	          [limit n ["," n]] [offset n]
//	column  = name ["." name]           (in the select list a name may also be 'quoted')
//	name    = identifier | "quoted"     (a reserved word must be quoted)
//	cond    = term [(and|or) term]      (three or more criteria must be bracketed in pairs)
//	term    = "(" cond ")" | column op value | column [not] in "(" value {"," value} ")"
//	        | column [not] like 'text' | column is [not] null | column between value and value
//	op      = "=" | "!=" | "<" | ">" | "<=" | ">="
//	value   = 'text' (a quote inside written twice) | number | true | false
//
// (COQL text, not SQL: it never reaches the database; package criteria compiles its conditions.)
// limit a, b is offset a and count b. Operators per data type, values, limits and errors are listed in
// docs/coql.md; every refusal is a *crmd.Error with Zoho's code and details, never a panic.
package coql
