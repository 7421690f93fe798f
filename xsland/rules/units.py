"""Units of area: the one definition of 亩, hectare and km² in square metres.

1 亩 (mu) is defined as 1/15 hectare: :math:`1\\ 亩 = 10\\,000 / 15 = 2000/3\\ m^2`
(《中华人民共和国法定计量单位》 and 国务院《关于在我国统一实行法定计量单位的命令》 (1984),
which keep 亩 as a customary unit equal to 1/15 公顷; SPEC §2). Every conversion between
m² and 亩 in xsland — measuring, reading a header unit, maps, reports — uses
:data:`M2_PER_MU`; ``tests/test_units.py`` fails on any other literal of the factor.
"""

from __future__ import annotations

__all__ = ["M2_PER_HA", "M2_PER_KM2", "M2_PER_MU"]

#: Square metres in one hectare (公顷).
M2_PER_HA = 10_000
#: Square metres in one 亩 (mu): 1/15 ha = 2000/3 ≈ 666.67 m².
M2_PER_MU = M2_PER_HA / 15
#: Square metres in one km² (= 100 ha = 1500 亩).
M2_PER_KM2 = 1_000_000
