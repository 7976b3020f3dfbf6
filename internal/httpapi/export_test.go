package httpapi

// CheckText exposes checkText to the external tests.
var CheckText = checkText
