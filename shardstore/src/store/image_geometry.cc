// Store::ImageGeometry: the label's geometry, for callers that know no geometry yet.
#include "shardstore/store.h"
#include "superblock/superblock.h"

namespace shardstore {

StatusOr<DiskGeometry> Store::ImageGeometry(ByteView first_page) {
  SS_ASSIGN_OR_RETURN(Label label, DecodeLabel(first_page));
  return label.geometry;
}

}  // namespace shardstore
