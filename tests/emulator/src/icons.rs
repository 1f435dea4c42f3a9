//! Resource icons, drawn from the seed: an SVG tile with the name's initials, or a PNG tile.

use crate::seed::SeedResource;

/// The icon's bytes and content type.
pub fn render(r: &SeedResource) -> (&'static str, Vec<u8>) {
    match r.icon {
        crate::IconFormat::Svg => ("image/svg+xml", svg(r).into_bytes()),
        crate::IconFormat::Png => ("image/png", png(&r.color)),
    }
}

fn svg(r: &SeedResource) -> String {
    let initials: String = r
        .name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'><rect width='64' height='64' rx='14' fill='{}'/><text x='32' y='41' font-family='sans-serif' font-size='24' font-weight='700' text-anchor='middle' fill='#fff'>{}</text></svg>",
        crate::esc(&r.color),
        crate::esc(&initials)
    )
}

/// `#rrggbb` as bytes; anything else is grey.
fn rgb(color: &str) -> [u8; 3] {
    let hex = color.trim_start_matches('#');
    let byte = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (hex.len(), byte(0), byte(2), byte(4)) {
        (6, Some(r), Some(g), Some(b)) => [r, g, b],
        _ => [0x6b, 0x72, 0x80],
    }
}

/// A 64×64 tile in the colour with a lighter inner square, so it is visibly an icon.
fn png(color: &str) -> Vec<u8> {
    const SIZE: u32 = 64;
    let [r, g, b] = rgb(color);
    let light = |c: u8| c + (255 - c) / 2;
    let mut pixels = Vec::with_capacity((SIZE * SIZE * 3) as usize);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let inner = (20..44).contains(&x) && (20..44).contains(&y);
            if inner {
                pixels.extend([light(r), light(g), light(b)]);
            } else {
                pixels.extend([r, g, b]);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, SIZE, SIZE);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let written = encoder
            .write_header()
            .and_then(|mut w| w.write_image_data(&pixels));
        if written.is_err() {
            // Encoding a fixed-size in-memory image cannot fail; an empty body would show as a
            // broken image, which the portal must handle anyway.
            out.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_icons_decode_to_the_resource_colour() {
        let bytes = png("#2563eb");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(bytes.as_slice());
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (64, 64));
        assert_eq!(&buf[..3], &[0x25, 0x63, 0xeb]);
    }

    #[test]
    fn malformed_colours_fall_back_to_grey() {
        assert_eq!(rgb("red"), [0x6b, 0x72, 0x80]);
        assert_eq!(rgb("#12345g"), [0x6b, 0x72, 0x80]);
        assert_eq!(rgb("#ffffff"), [255, 255, 255]);
    }
}
