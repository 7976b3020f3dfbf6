package main

import (
	"net/http"

	"github.com/sallyport/sallyport/internal/webui"
	"github.com/sallyport/sallyport/web"
)

// uiHandler serves the embedded web app (an empty page when built with
// the noui tag).
func uiHandler() http.Handler { return webui.Handler(web.Dist()) }
