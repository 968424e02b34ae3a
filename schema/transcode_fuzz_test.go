package schema

import (
	"testing"
)

// FuzzTranscodeJSON holds the plan to the plain path on any JSON, for the
// orders type and for kinds.v1.Kinds: when the plan accepts, protojson
// and protovalidate accept with the same binary; the codec's error is
// always the plain path's.
//
//	go test -run XXX -fuzz FuzzTranscodeJSON -fuzztime 60s ./schema
func FuzzTranscodeJSON(f *testing.F) {
	orders, kinds := orderCodec(f), kindsCodec(f, "kinds.v1.Kinds")
	for i, o := range ordersCorpus(f) {
		if i%128 == 0 {
			f.Add(false, o)
		}
	}
	for _, r := range rulesCases {
		f.Add(true, []byte(`{"rules":`+r+`}`))
	}
	for i, v := range kindsValues {
		f.Add(true, []byte(`{"`+kindsFields[i%len(kindsFields)]+`":`+v+`}`))
	}
	f.Fuzz(func(t *testing.T, useKinds bool, in []byte) {
		c := orders
		if useKinds {
			c = kinds
		}
		if diffJSON(t, c, in) {
			bin, err := c.JSONToBinary(in)
			if err != nil {
				t.Fatal(err)
			}
			if !diffWire(t, c, bin) {
				t.Fatalf("the binary of %s took the slow path", in)
			}
		}
	})
}

// FuzzTranscodeBinary is the same for binary records, validated only and
// written as JSON.
//
//	go test -run XXX -fuzz FuzzTranscodeBinary -fuzztime 60s ./schema
func FuzzTranscodeBinary(f *testing.F) {
	orders, kinds := orderCodec(f), kindsCodec(f, "kinds.v1.Kinds")
	for i, o := range ordersCorpus(f) {
		if i%128 == 0 {
			bin, err := orders.JSONToBinary(o)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(false, bin)
		}
	}
	for _, r := range rulesCases {
		if bin, err := kinds.JSONToBinary([]byte(`{"kids":[{"rules":` + r + `}],"names":{"1":"a"}}`)); err == nil {
			f.Add(true, bin)
		}
	}
	f.Add(false, []byte{0x4a, 0x05, 0x0a, 0x01, 'a', 0x08, 0x00})
	f.Fuzz(func(t *testing.T, useKinds bool, in []byte) {
		c := orders
		if useKinds {
			c = kinds
		}
		diffWire(t, c, in)
	})
}
