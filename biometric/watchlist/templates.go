package watchlist

import "checkpost/biometric/match"

// Templates returns a copy of a subject's enrolled templates with their
// positions, in the form searches compare (for showing a candidate's
// matched minutiae: match.Matcher.Pairs). It allocates one Template per
// finger.
func (g *Gallery) Templates(id string) ([]Finger, error) {
	s, sub, err := g.lookup(id)
	if err != nil {
		return nil, err
	}
	out := make([]Finger, len(sub.refs))
	for i, r := range sub.refs {
		sl := s.slabs[r/slabSize].s
		t := new(match.Template)
		sl.tmpl[r%slabSize].Unpack(t)
		out[i] = Finger{Position: sl.pos[r%slabSize], Template: t}
	}
	return out, nil
}
