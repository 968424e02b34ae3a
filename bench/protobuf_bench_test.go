package bench

import "testing"

// BenchmarkGuestProtobuf compares protobuf-go's generated types with the
// SDK's pbwire inside a Go guest:
//
//	go test -bench GuestProtobuf -run XXX ./bench
func BenchmarkGuestProtobuf(b *testing.B) {
	for _, mode := range []string{"pbwire", "generated"} {
		b.Run(mode, func(b *testing.B) {
			if err := GuestProtobuf(b, mode); err != nil {
				b.Fatal(err)
			}
		})
	}
}
