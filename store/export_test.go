package store

// FieldIndexDDL exposes to the external tests the name and statement of the index serving a field.
var FieldIndexDDL = fieldIndex
