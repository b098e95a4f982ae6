"""The page's branding, set by admins in the console: settings (the one row: name, accents,
links, "Powered by"; Brand, what the public frame shows), files (logo and favicon uploads sniffed
and checked, SVGs without script; the accents' stylesheet; BrandFile, served under /brand/),
colours (accents readable on the page background, WCAG AA).
"""
