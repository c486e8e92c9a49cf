package ocrb

// Charset lists the classes in the order of the network's outputs.
const Charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"

// NumClasses is the number of characters an MRZ may hold.
const NumClasses = len(Charset)

// classOf maps a byte to its class index, -1 for others.
var classOf = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(Charset); i++ {
		t[Charset[i]] = int8(i)
	}
	return t
}()

// ClassOf returns the class index of c, or -1 when c is not an MRZ
// character.
func ClassOf(c byte) int { return int(classOf[c]) }
