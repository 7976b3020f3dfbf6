package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
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
	if err := checkText(trimmed); err != nil {
		return err
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

// checkText refuses what encoding/json would quietly turn into U+FFFD:
// bytes that are not UTF-8, and \u escapes of lone surrogates. Either
// would carry a garbled string into, say, a new account's email address.
// Other faults are left to json.Unmarshal.
func checkText(body []byte) error {
	if !utf8.Valid(body) {
		return errMsg("invalid_request", "the request body is not valid UTF-8")
	}
	lone := errMsg("invalid_request", "the request body escapes a lone UTF-16 surrogate")
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		i++ // the escaped character, which may itself be a backslash
		r, ok := escapedRune(body[i:])
		switch {
		case !ok || !utf16.IsSurrogate(r):
		case r >= 0xDC00: // a low surrogate with no high one before it
			return lone
		default: // a high surrogate: a low one must follow
			low, ok := escapedRune(body[min(i+6, len(body)):])
			if !ok || low < 0xDC00 || low > 0xDFFF || body[i+5] != '\\' {
				return lone
			}
			i += 6
		}
	}
	return nil
}

// escapedRune reads the rune of a "u" and four hex digits, the rest of a
// \u escape.
func escapedRune(b []byte) (rune, bool) {
	if len(b) < 5 || b[0] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[1:5]), 16, 32)
	return rune(n), err == nil
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
