"""Chinese name data for the synthetic company (directory names, aliases, userids).

Feeds ``company.py``: every directory user gets a name drawn from these tables, a
``name_ex`` alias (pinyin or an English name) and a userid built from the pinyin. A few
names use characters outside the Basic Multilingual Plane or from CJK Extension A, the
ones that break fonts and naive byte-length checks in payslips and exports.
"""

from __future__ import annotations

import random

# (surname, pinyin); common surnames weighted by repetition, plus compound surnames.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
    ("杨", "Yang"), ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"),
    ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"),
    ("郭", "Guo"), ("何", "He"), ("高", "Gao"), ("林", "Lin"), ("罗", "Luo"),
    ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"), ("唐", "Tang"),
    ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"),
    ("潘", "Pan"), ("袁", "Yuan"), ("蔡", "Cai"), ("蒋", "Jiang"), ("余", "Yu"),
    ("欧阳", "Ouyang"), ("司马", "Sima"), ("诸葛", "Zhuge"), ("上官", "Shangguan"),
)

# (character, pinyin) for given names.
GIVEN: tuple[tuple[str, str], ...] = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"),
    ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"),
    ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"),
    ("明", "Ming"), ("超", "Chao"), ("秀", "Xiu"), ("霞", "Xia"), ("平", "Ping"),
    ("刚", "Gang"), ("桂", "Gui"), ("英", "Ying"), ("华", "Hua"), ("文", "Wen"),
    ("辉", "Hui"), ("鑫", "Xin"), ("宇", "Yu"), ("浩", "Hao"), ("思", "Si"),
    ("雨", "Yu"), ("欣", "Xin"), ("梓", "Zi"), ("涵", "Han"), ("子", "Zi"),
    ("轩", "Xuan"), ("晨", "Chen"), ("博", "Bo"), ("嘉", "Jia"), ("怡", "Yi"),
    ("佳", "Jia"), ("建", "Jian"), ("国", "Guo"), ("志", "Zhi"), ("海", "Hai"),
    ("玲", "Ling"), ("婷", "Ting"), ("琳", "Lin"), ("鹏", "Peng"), ("飞", "Fei"),
    ("晓", "Xiao"), ("东", "Dong"), ("云", "Yun"), ("峰", "Feng"), ("瑶", "Yao"),
    ("颖", "Ying"), ("凯", "Kai"), ("彬", "Bin"), ("琦", "Qi"), ("昊", "Hao"),
    ("喆", "Zhe"), ("堃", "Kun"), ("赟", "Yun"), ("昇", "Sheng"), ("彧", "Yu"),
)

# Characters that WenQuanYi Micro Hei lacks: CJK Extension B (outside the BMP) and
# Extension A. Pinyin of rare characters is not reliable, so their owners get an
# English alias.
RARE_GIVEN: tuple[str, ...] = ("\U0002003E", "\u4DAE", "\U00020BB7", "\u3400")

ENGLISH: tuple[str, ...] = (
    "Kevin", "Amy", "Jason", "Vivian", "Eric", "Grace", "Leo", "Cindy", "Tony",
    "Helen", "Jack", "Lily", "Frank", "Ivy", "Sam", "Wendy", "Alex", "Coco",
)


def draw_name(rng: random.Random, rare: bool) -> tuple[str, str, str]:
    """(name, name_ex, userid stem) for one person."""
    surname, surname_py = rng.choice(SURNAMES)
    parts = [rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2)))]
    stem = surname_py + "".join(p for _, p in parts)
    if rare:
        name = surname + rng.choice(RARE_GIVEN)
        return name, f"{rng.choice(ENGLISH)} {surname_py}", surname_py + "X"
    name = surname + "".join(c for c, _ in parts)
    pick = rng.random()
    if pick < 0.6:
        alias = f"{''.join(p for _, p in parts)} {surname_py}"
    elif pick < 0.85:
        alias = f"{rng.choice(ENGLISH)} {surname_py}"
    else:
        alias = ""
    return name, alias, stem
