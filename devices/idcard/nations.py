"""Nation codes on the resident ID card: GB 3304 (the 56 groups in standard order) plus
the two codes the card uses beyond them. Names are as printed on the card (no 族)."""

from __future__ import annotations

_GB3304 = (
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
)

NATIONS: dict[str, str] = {f"{i:02d}": name for i, name in enumerate(_GB3304, start=1)}
NATIONS["97"] = "其他"
NATIONS["98"] = "外国血统中国籍人士"

assert len(_GB3304) == 56
