package runtime

import "golang.org/x/sys/unix"

// mapNoReserve keeps a reservation out of the system's commit accounting
// until its pages are touched.
const mapNoReserve = unix.MAP_NORESERVE
