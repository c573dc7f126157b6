"""Draw the site's raster icons and its social card from the logo (static/img/favicon.svg), with Pillow.

Run once after changing the logo, and commit what it writes:

    .venv/bin/python docs/img/draw_site_images.py

It writes, under static/img/:
- favicon.ico (16, 32 and 48 px), for browsers and tools that ask for /favicon.ico;
- favicon-32.png, the PNG fallback for browsers without SVG icons;
- apple-touch-icon.png (180 px, opaque), for a phone's home screen;
- social-card.png (1200 x 630), the image shown when a page is shared (og:image, twitter:card).

No network and no SVG renderer: the logo is three shapes (a disc, a ring, a handle), drawn here at eight
times the size and scaled down, which smooths the edges.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

IMG = Path(__file__).resolve().parents[2] / "static" / "img"
BRAND = "#0b4f6c"  # --brand in static/css/observatory.css
HANDLE = "#ffd166"
WHITE = "#ffffff"
SCALE = 8
FONTS = Path("/usr/share/fonts/truetype/dejavu")


def logo(size: int, *, background: str | None = None) -> Image.Image:
    """The logo of favicon.svg (drawn on a 32-unit grid) at `size` pixels, on `background` or transparent."""
    big = size * SCALE
    unit = big / 32
    image = Image.new("RGBA", (big, big), background or (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # On an opaque background (the home-screen icon) the disc fills the square, as platforms round it.
    radius = 16 if background else 15
    low, high = (16 - radius) * unit, (16 + radius) * unit
    draw.ellipse([low, low, high, high], BRAND)
    ring = 1.5 * unit
    draw.ellipse([8 * unit - ring, 8 * unit - ring, 24 * unit + ring, 24 * unit + ring], WHITE)
    draw.ellipse([8 * unit + ring, 8 * unit + ring, 24 * unit - ring, 24 * unit - ring], BRAND)
    width = round(3.5 * unit)
    draw.line([21.5 * unit, 21.5 * unit, 27 * unit, 27 * unit], HANDLE, width)
    for x, y in ((21.5, 21.5), (27, 27)):  # round caps
        half = width / 2
        draw.ellipse([x * unit - half, y * unit - half, x * unit + half, y * unit + half], HANDLE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def social_card() -> Image.Image:
    """1200 x 630: the logo, the site's name and what it is, in the brand's colours."""
    card = Image.new("RGB", (1200, 630), BRAND)
    draw = ImageDraw.Draw(card)
    draw.rectangle([0, 600, 1200, 630], HANDLE)
    # A thin light ring sets the logo's disc apart from the card's background of the same colour.
    draw.ellipse([80, 140, 400, 460], "#e6f0f4")
    mark = logo(300)
    card.paste(mark, (90, 150), mark)
    bold = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 70)
    regular = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 38)
    draw.text((452, 180), "The Observatory", font=bold, fill=WHITE)
    lines = ["Public-sector innovation", "case studies from the APO's", "member economies and beyond"]
    for number, line in enumerate(lines):
        draw.text((452, 290 + number * 56), line, font=regular, fill=WHITE)
    return card


def main() -> None:
    logo(48).save(IMG / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    logo(32).save(IMG / "favicon-32.png", optimize=True)
    logo(180, background=BRAND).convert("RGB").save(IMG / "apple-touch-icon.png", optimize=True)
    social_card().save(IMG / "social-card.png", optimize=True)


if __name__ == "__main__":
    main()
