package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

const argon2Prefix = "$argon2id$"

// maxPHCLen is longer than any hash within the parameter bounds; a longer
// string is refused before it is split.
const maxPHCLen = 512

// b64 is the PHC string encoding: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// argon2Hash is a parsed argon2id PHC string.
type argon2Hash struct {
	params Params
	salt   []byte
	key    []byte
}

// encodePHC formats an argon2id hash as a PHC string.
func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC parses the argon2id PHC string that encodePHC writes. It accepts
// only the canonical form, so that parsing and encoding again gives back the
// same string, and only parameters that pass [Params.Validate].
func parsePHC(s string) (argon2Hash, error) {
	var h argon2Hash
	if len(s) > maxPHCLen {
		return h, fmt.Errorf("argon2id hash longer than %d bytes", maxPHCLen)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errors.New("argon2id hash is not $argon2id$v=$params$salt$key")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("argon2id version %q not supported", parts[2])
	}

	err := parseParams(parts[3], &h.params)
	if err != nil {
		return h, err
	}
	if h.salt, err = decodeB64(parts[4]); err != nil {
		return h, fmt.Errorf("argon2id salt: %w", err)
	}
	if h.key, err = decodeB64(parts[5]); err != nil {
		return h, fmt.Errorf("argon2id key: %w", err)
	}

	h.params.SaltLen = uint32(len(h.salt))
	h.params.KeyLen = uint32(len(h.key))
	if err := h.params.Validate(); err != nil {
		return h, err
	}
	return h, nil
}

// parseParams parses "m=<memory>,t=<time>,p=<threads>" into p.
func parseParams(s string, p *Params) error {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return fmt.Errorf("argon2id parameters %q are not m=,t=,p=", s)
	}
	m, err := parseField(fields[0], "m=", 32)
	if err != nil {
		return err
	}
	t, err := parseField(fields[1], "t=", 32)
	if err != nil {
		return err
	}
	threads, err := parseField(fields[2], "p=", 8)
	if err != nil {
		return err
	}
	p.Memory, p.Time, p.Threads = uint32(m), uint32(t), uint8(threads)
	return nil
}

// parseField parses name followed by a decimal number of at most bits bits,
// written without sign or leading zeros.
func parseField(s, name string, bits int) (uint64, error) {
	digits, ok := strings.CutPrefix(s, name)
	if !ok {
		return 0, fmt.Errorf("argon2id parameter %q does not start with %q", s, name)
	}
	n, err := strconv.ParseUint(digits, 10, bits)
	if err != nil || strconv.FormatUint(n, 10) != digits {
		return 0, fmt.Errorf("argon2id parameter %q is not a number below 2^%d", s, bits)
	}
	return n, nil
}

// decodeB64 decodes unpadded standard base64 and refuses every other way of
// writing the same bytes (trailing bits, line breaks).
func decodeB64(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, errors.New("not canonical unpadded base64")
	}
	return b, nil
}
