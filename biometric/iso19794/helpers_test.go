package iso19794

import "checkpost/biometric/internal/fmr"

func fmrBlock(typ uint16, data []byte) fmr.ExtendedBlock {
	return fmr.ExtendedBlock{Type: typ, Data: data}
}
