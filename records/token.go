package records

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/crmd/crmd"
)

// tokenTTL is how long a page token stays usable (docs/records.md#list-parameters: 24 hours).
const tokenTTL = 24 * time.Hour

// pageToken is the state a v5+ next_page_token carries. It is binary and HMAC-signed with the org's
// secret, so it is short (96 characters, Zoho's documented maximum), opaque, unforgeable and useless in
// another org.
type pageToken struct {
	user, module crmd.ID
	bind         [8]byte
	expiry       int64   // Unix ms
	key          int64   // sort key of the last record returned
	last         crmd.ID // id of the last record returned
	offset       uint32  // records returned before the next page
	page         uint32  // number of the next page
}

const (
	tokenBody = 8*6 + 4 + 4
	tokenMAC  = 16
)

func tokenSig(secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)[:tokenMAC]
}

func (t pageToken) encode(secret []byte) string {
	b := make([]byte, tokenBody, tokenBody+tokenMAC)
	binary.BigEndian.PutUint64(b[0:], uint64(t.user))
	binary.BigEndian.PutUint64(b[8:], uint64(t.module))
	copy(b[16:24], t.bind[:])
	binary.BigEndian.PutUint64(b[24:], uint64(t.expiry))
	binary.BigEndian.PutUint64(b[32:], uint64(t.key))
	binary.BigEndian.PutUint64(b[40:], uint64(t.last))
	binary.BigEndian.PutUint32(b[48:], t.offset)
	binary.BigEndian.PutUint32(b[52:], t.page)
	b = append(b, tokenSig(secret, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(secret []byte, s string) (pageToken, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != tokenBody+tokenMAC {
		return pageToken{}, false
	}
	if !hmac.Equal(b[tokenBody:], tokenSig(secret, b[:tokenBody])) {
		return pageToken{}, false
	}
	var t pageToken
	t.user = crmd.ID(binary.BigEndian.Uint64(b[0:]))
	t.module = crmd.ID(binary.BigEndian.Uint64(b[8:]))
	copy(t.bind[:], b[16:24])
	t.expiry = int64(binary.BigEndian.Uint64(b[24:]))
	t.key = int64(binary.BigEndian.Uint64(b[32:]))
	t.last = crmd.ID(binary.BigEndian.Uint64(b[40:]))
	t.offset = binary.BigEndian.Uint32(b[48:])
	t.page = binary.BigEndian.Uint32(b[52:])
	return t, true
}
