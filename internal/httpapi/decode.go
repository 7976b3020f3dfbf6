package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// maxBody is the largest request body any endpoint reads.
const maxBody = 1 << 20

// decode reads a JSON object body into v. An empty body decodes as {} so
// that endpoints whose fields are all optional accept it; the caller
// checks required fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errCode("payload_too_large", err)
	}
	if err != nil {
		return errMsg("invalid_request", "the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errCode("unsupported_media_type", nil)
		}
	} else {
		return errCode("unsupported_media_type", nil)
	}
	return decodeJSON(body, v)
}

// decodeJSON parses one JSON object into v and explains a failure in
// words a client developer can act on.
func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errMsg("invalid_request", "the request body must be a JSON object")
	}
	err := json.Unmarshal(trimmed, v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		return errMsg("invalid_request",
			fmt.Sprintf("field %q must be of type %s", typeErr.Field, typeErr.Type))
	case err != nil:
		return errMsg("invalid_request", "the request body is not valid JSON")
	}
	return nil
}

// required reports the first empty field among name/value pairs.
func required(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			return errMsg("invalid_request", fmt.Sprintf("field %q is required", fields[i]))
		}
	}
	return nil
}
