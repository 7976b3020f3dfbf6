package main

import "net/http"

// uiHandler serves the embedded web app.
// TODO: mount the React app once package web lands; until then the API
// alone is served and "/" answers 404.
func uiHandler() http.Handler { return nil }
