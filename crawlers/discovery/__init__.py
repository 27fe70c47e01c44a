"""Source discovery: candidate communities and channels of the territory, scored, for approval.

``score`` judges how tied a candidate is to the municipality; ``vk``, ``ok`` and ``telegram``
find candidates on each platform; ``run`` puts them together and leaves out what the
municipality file already lists.
"""
