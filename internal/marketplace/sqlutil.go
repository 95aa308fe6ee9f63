package marketplace

import (
	"entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

func sqlDesc() sql.OrderTermOption { return sql.OrderDesc() }

func intArray(ids []int) any {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return pq.Array(out)
}
