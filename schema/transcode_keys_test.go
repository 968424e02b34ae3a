package schema

import (
	"strings"
	"testing"
)

// TestKeysMatchedInPlace: the scanner's in-place match of the expected
// field's key (either spelling, word at a time) agrees with protojson on
// keys that are the expected one's prefix or extension, escaped, in the
// other spelling, out of order, repeated, near the end of the input, and
// on every truncation of an order; and Check agrees with JSONToBinary.
func TestKeysMatchedInPlace(t *testing.T) {
	c := orderCodec(t)
	p := projection(t, c, orderPaths)
	inputs := []string{order}
	for _, r := range [][2]string{
		{`"order_id"`, `"orderId"`}, {`"order_id"`, `"order_i"`}, {`"order_id"`, `"order_idx"`}, {`"order_id"`, `"order_ix"`},
		{`"order_id"`, `"order\u005fid"`}, {`"order_id"`, `"Order_id"`}, {`"created_at"`, `"createdAt"`},
		{`"created_at"`, `"created_aT"`}, {`"customer"`, `"customerx"`}, {`"customer"`, `"custome"`},
		{`"email"`, `"emai"`}, {`"email"`, `"emaik"`}, {`"id"`, `"ib"`}, {`"email"`, `"e\u006dail"`}, {`"id"`, `"i"`}, {`"id"`, `"idd"`},
		{`"country"`, `"countr"`}, {`"country":"FR"`, `"country":"FR","country":"FR"`},
		{`"order_id":"o-1",`, ``}, {`"notes":{"gift":"yes"}`, `"notes":{"gift":"yes"},"id"`},
		{`"id":"c-1",`, `"id":"c-1","id":"c-2",`}, {`"qty":3`, `"qty"  :  3`}, {`"sku"`, ` "sku" `},
		{`"zip":"34900"}`, `"zip":"34900","street":"x"}`}, {`,"currency":"EUR"`, ``},
	} {
		inputs = append(inputs, strings.Replace(order, r[0], r[1], 1))
	}
	inputs = append(inputs, `{"id"`, `{"order_id"`, `{"order_id":"o`, `{"orderId":"o-1"}`, `{"customer":{"id":"x"}}`)
	for _, in := range inputs {
		for n := len(in); n >= 0; n-- {
			diffJSON(t, c, []byte(in[:n]))
			diffCheck(t, p, []byte(in[:n]))
		}
	}
}
