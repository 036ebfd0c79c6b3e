// Package media cleans uploaded pictures before gengxin stores or publishes
// them: it checks that a file is a JPEG or PNG picture of a sensible size,
// turns it upright by its EXIF orientation, and encodes it again, which drops
// every metadata segment (EXIF with the GPS position, XMP, comments).
package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"net/http"
)

// ErrRejected: the file is not a JPEG or PNG picture within the limits. The
// errors Clean returns match it with errors.Is and read as the reason alone
// ("x.jpg is text/plain, not a JPEG or PNG picture"), so that callers can wrap
// them in their own kind of error without a second prefix.
var ErrRejected = errors.New("picture rejected")

// rejected is a reason a picture was refused.
type rejected struct{ reason string }

func (r rejected) Error() string        { return r.reason }
func (r rejected) Is(target error) bool { return target == ErrRejected }

func reject(format string, args ...any) error { return rejected{fmt.Sprintf(format, args...)} }

// Clean checks that data (named filename, for messages) is a JPEG or PNG
// picture of at most maxPixels pixels and returns its content type and the
// picture encoded again: upright, and without any metadata.
func Clean(filename string, data []byte, maxPixels int) (string, []byte, error) {
	if len(data) == 0 {
		return "", nil, reject("%s is empty", filename)
	}
	ct := http.DetectContentType(data)
	if ct != "image/jpeg" && ct != "image/png" {
		return "", nil, reject("%s is %s, not a JPEG or PNG picture", filename, ct)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", nil, reject("%s cannot be read as a picture: %v", filename, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return "", nil, reject("%s has %d × %d pixels, more than %d", filename, cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", nil, reject("%s cannot be read as a picture: %v", filename, err)
	}
	if ct == "image/jpeg" {
		img = Orient(img, Orientation(data))
	}
	var clean bytes.Buffer
	if ct == "image/png" {
		err = png.Encode(&clean, img)
	} else {
		err = jpeg.Encode(&clean, img, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return "", nil, fmt.Errorf("re-encode picture: %w", err)
	}
	return ct, clean.Bytes(), nil
}

// Orientation returns the EXIF orientation (1–8) of a JPEG file, or 1 when it
// has none or it cannot be read.
func Orientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			i += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // image data starts: no EXIF before it
			return 1
		}
		size := int(binary.BigEndian.Uint16(data[i+2:]))
		if size < 2 || i+2+size > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+size]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of the first image directory of a TIFF
// header.
func tiffOrientation(t []byte) int {
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if len(t) < 8 || bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[ifd:]))
	for k := 0; k < n; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// Orient returns img turned as its EXIF orientation o says, so that it shows
// upright without the tag: 2 mirrors, 3 turns 180°, 4 flips, 5 transposes,
// 6 turns 90° clockwise, 7 transverses, 8 turns 90° anticlockwise.
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			si, di := src.PixOffset(x, y), dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}
