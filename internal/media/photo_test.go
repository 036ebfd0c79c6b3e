package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// halves is a 32 × 16 picture, red on the left half and blue on the right.
func halves() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 32, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 32; x++ {
			c := color.RGBA{R: 255, A: 255}
			if x >= 16 {
				c = color.RGBA{B: 255, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// withExif puts an APP1 segment with the orientation (and a GPS-like marker
// string) right after the JPEG's start marker; bo chooses the byte order.
func withExif(t *testing.T, orientation uint16, bo binary.ByteOrder) []byte {
	t.Helper()
	var pic bytes.Buffer
	if err := jpeg.Encode(&pic, halves(), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	if bo == binary.LittleEndian {
		tiff.WriteString("II")
	} else {
		tiff.WriteString("MM")
	}
	w := func(v any) { _ = binary.Write(&tiff, bo, v) }
	w(uint16(42))
	w(uint32(8))
	w(uint16(1))      // one entry
	w(uint16(0x0112)) // orientation
	w(uint16(3))      // SHORT
	w(uint32(1))
	w(orientation)
	w(uint16(0))
	w(uint32(0)) // no next directory
	tiff.WriteString("GPS:31.7,119.9")
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out = append(out, seg...)
	return append(out, pic.Bytes()[2:]...)
}

func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, x uint8) bool { return int(a>>8)-int(x) < 60 && int(x)-int(a>>8) < 60 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func TestCleanTurnsUprightAndDropsMetadata(t *testing.T) {
	red, blue := color.RGBA{R: 255}, color.RGBA{B: 255}
	cases := []struct {
		o                  uint16
		w, h               int
		first, second      image.Point // where red and blue must be
		bigEndian          bool
		wantOrientationTag int
	}{
		{1, 32, 16, image.Pt(4, 8), image.Pt(28, 8), false, 1},
		{2, 32, 16, image.Pt(28, 8), image.Pt(4, 8), true, 2},
		{3, 32, 16, image.Pt(28, 8), image.Pt(4, 8), false, 3},
		{6, 16, 32, image.Pt(8, 4), image.Pt(8, 28), false, 6},
		{6, 16, 32, image.Pt(8, 4), image.Pt(8, 28), true, 6},
		{8, 16, 32, image.Pt(8, 28), image.Pt(8, 4), false, 8},
	}
	for _, c := range cases {
		var bo binary.ByteOrder = binary.LittleEndian
		if c.bigEndian {
			bo = binary.BigEndian
		}
		data := withExif(t, c.o, bo)
		if got := Orientation(data); got != c.wantOrientationTag {
			t.Fatalf("orientation %d read as %d", c.o, got)
		}
		ct, clean, err := Clean("p.jpg", data, 1<<20)
		if err != nil || ct != "image/jpeg" {
			t.Fatalf("clean: %s, %v", ct, err)
		}
		if bytes.Contains(clean, []byte("GPS:")) || bytes.Contains(clean, []byte("Exif")) || Orientation(clean) != 1 {
			t.Fatalf("orientation %d: metadata survived", c.o)
		}
		img, err := jpeg.Decode(bytes.NewReader(clean))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
			t.Fatalf("orientation %d: %d × %d, want %d × %d", c.o, b.Dx(), b.Dy(), c.w, c.h)
		}
		if !near(img.At(c.first.X, c.first.Y), red) || !near(img.At(c.second.X, c.second.Y), blue) {
			t.Errorf("orientation %d: red is not at %v or blue not at %v", c.o, c.first, c.second)
		}
	}
}

func TestCleanRejects(t *testing.T) {
	var pic bytes.Buffer
	if err := png.Encode(&pic, halves()); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		data []byte
		max  int
	}{
		"empty":      {nil, 1 << 20},
		"text":       {[]byte("not a picture at all"), 1 << 20},
		"too large":  {pic.Bytes(), 100},
		"truncated":  {pic.Bytes()[:40], 1 << 20},
		"gif header": {[]byte("GIF89a\x01\x00\x01\x00"), 1 << 20},
	} {
		if _, _, err := Clean(name, c.data, c.max); !errors.Is(err, ErrRejected) {
			t.Errorf("%s: %v, want ErrRejected", name, err)
		}
	}
	if ct, _, err := Clean("p.png", pic.Bytes(), 1<<20); err != nil || ct != "image/png" {
		t.Errorf("png: %s, %v", ct, err)
	}
	if Orientation([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00}) != 1 || Orientation(nil) != 1 {
		t.Error("a broken header must read as upright")
	}
}

func FuzzOrientation(f *testing.F) {
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := Orientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
