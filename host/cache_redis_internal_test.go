package host

import (
	"strings"
	"testing"
)

// A URL weir_redis cannot parse is refused without quoting it: it may
// hold a password.
func TestRedisBadURLHidesCredentials(t *testing.T) {
	conf, err := redisCacheSpec().ParseYAML(`url: "http://user:s3cret@127.0.0.1:1"`, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newRedisCache(conf)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "not a redis:// or rediss:// URL") {
		t.Fatalf("got %v", err)
	}
}
